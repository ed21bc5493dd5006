/**
 * A Problem is one thing wrong (or suspicious) in a Vmfile, with the position of the value it
 * is about, so that every problem can be shown at once in the style of eemeli/yaml's
 * prettifyError:
 *
 *     Vmfile:7:13 machines.beta.memory: expected a size like 768MiB or 2GiB, found "2 gigs"
 *         memory: 2 gigs
 *                 ^^^^^^
 */

import {printableLine} from '../ui/printable.js'

export type Severity = 'error' | 'warning'

export type Problem = {
  readonly severity: Severity
  /** Dotted field path such as "machines.beta.memory"; "" for the file as a whole. */
  readonly path: string
  /** What was expected and what was found, without the path: `expected …, found "2 gigs"`. */
  readonly message: string
  /** 1-based position of the value (or key) the problem is about; absent when it has none. */
  readonly line?: number
  readonly col?: number
  /** How many characters from `col` to underline on that line; at least 1 is drawn. */
  readonly length?: number
  /** Set when the value came from this environment variable rather than the file. */
  readonly envVar?: string
}

/** True when any problem is an error; warnings alone do not make a Vmfile invalid. */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === 'error')
}

/**
 * Orders problems as they appear in the file (line, then column); problems without a position
 * (a missing top-level key, an environment variable) keep their relative order and come last.
 * Returns a new array.
 */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const rank = (p: Problem): number => (p.line ?? Number.MAX_SAFE_INTEGER) * 1e6 + (p.col ?? 0)
  return [...problems].sort((a, b) => rank(a) - rank(b))
}

/** "2 errors and 1 warning", "1 error", "3 warnings"; "no problems" for an empty list. */
export function summarizeProblems(problems: readonly Problem[]): string {
  const errors = problems.filter((problem) => problem.severity === 'error').length
  const warnings = problems.length - errors
  const parts = [count(errors, 'error'), count(warnings, 'warning')].filter((part) => part !== '')
  return parts.length === 0 ? 'no problems' : parts.join(' and ')
}

/**
 * Renders problems for people, one block per problem, separated by newlines (no trailing one):
 * `<displayName>:LINE:COL path: message`, then the source line verbatim and carets under the
 * value. Warnings carry `warning:` after the position; problems from an environment variable
 * name the variable instead of the file. `source` must be the text the positions refer to.
 */
export function formatProblems(problems: readonly Problem[], source: string, displayName: string): string {
  const lines = source.split(/\r?\n/)
  return problems.flatMap((problem) => formatProblem(problem, lines, displayName)).join('\n')
}

/** Longer source lines are shown as a window around the problem (a binary file is one long line). */
const EXCERPT_MAX = 160
/** How much of the line before the problem such a window keeps. */
const EXCERPT_LEAD = 40

function formatProblem(problem: Problem, lines: readonly string[], displayName: string): string[] {
  // The file is not trusted: key names and values reach the header and the excerpt, and their
  // control bytes are shown escaped, never sent to the terminal.
  const header = printableLine(`${heading(problem, displayName)} ${problem.message}`)
  if (problem.line === undefined || problem.envVar !== undefined) return [header]
  const text = lines[problem.line - 1] ?? ''
  const start = Math.min(Math.max(0, (problem.col ?? 1) - 1), text.length)
  // Underline only what is on this line: a block value may continue on the lines below.
  const width = Math.max(1, Math.min(problem.length ?? 1, text.length - start))
  return [header, ...excerpt(text, start, width)]
}

/** The source line (escaped, windowed when long) and the carets under [start, start + width). */
function excerpt(text: string, start: number, width: number): [string, string] {
  const from = text.length > EXCERPT_MAX ? Math.max(0, start - EXCERPT_LEAD) : 0
  const to = Math.min(text.length, from + EXCERPT_MAX)
  const lead = from > 0 ? '...' : ''
  const shown = lead + printableLine(text.slice(from, to)) + (to < text.length ? '...' : '')
  const before = lead + printableLine(text.slice(from, start))
  const marked = printableLine(text.slice(start, Math.min(start + width, to)))
  return [shown, `${' '.repeat(before.length)}${'^'.repeat(Math.max(1, marked.length))}`]
}

function location(problem: Problem, displayName: string): string {
  if (problem.envVar !== undefined) return `environment variable ${problem.envVar}`
  if (problem.line === undefined) return displayName
  return `${displayName}:${problem.line}:${problem.col ?? 1}`
}

/** "Vmfile:7:13 machines.beta.memory:", "Vmfile:3:1 warning: memroy:", "Vmfile:2:1:", "Vmfile box:". */
function heading(problem: Problem, displayName: string): string {
  const where = location(problem, displayName) + (problem.severity === 'warning' ? ' warning:' : '')
  // The variable's name already says what the value is; the field path would only repeat it.
  const path = problem.envVar === undefined ? problem.path : ''
  if (path !== '') return `${where} ${path}:`
  return problem.severity === 'warning' ? where : `${where}:`
}

function count(n: number, noun: string): string {
  if (n === 0) return ''
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
