/**
 * The whole pure pipeline, parse → fill defaults → validate, for callers that already have
 * the text (load.ts, tests, a future `vm validate --stdin`).
 */
import type {Vmfile} from './types.js'
import {fillDefaults, type Env} from './defaults.js'
import {parseVmfile} from './parse.js'
import {hasErrors, sortProblems, type Problem} from './problem.js'
import {validateVmfile} from './validate.js'

export type Resolved = {
  /** Present only when there is no error. */
  readonly vmfile?: Vmfile
  /** Syntax problems alone when the YAML is broken; otherwise every problem, in file order. */
  readonly problems: readonly Problem[]
}

/**
 * Resolves a Vmfile's text. `path` must be absolute (it is recorded in the result and relative
 * box paths resolve against its folder); `env` supplies VM_ACCELERATOR. Never throws for
 * mistakes in the text. Stops after parsing when the YAML has errors, since positions and
 * values of a broken document would mislead.
 */
export function resolveVmfile(source: string, path: string, env: Env): Resolved {
  const binary = binaryProblem(source)
  if (binary) return {problems: [binary]}
  const parsed = parseVmfile(source)
  if (hasErrors(parsed.problems)) return {problems: parsed.problems}
  const validated = validateVmfile(parsed, fillDefaults(parsed.raw, env), path)
  // YAML warnings (such as an unknown tag) are kept alongside the Vmfile's own.
  return {...validated, problems: sortProblems([...parsed.problems, ...validated.problems])}
}

/**
 * A NUL byte means this is not a text file (an executable, an image, a file named Vmfile by
 * mistake or on purpose): one problem at the first NUL, instead of a YAML error per garbled line.
 */
function binaryProblem(source: string): Problem | undefined {
  const offset = source.indexOf('\0')
  if (offset === -1) return undefined
  const before = source.slice(0, offset).split('\n')
  return {
    severity: 'error',
    path: '',
    message: 'expected a text file (YAML), found a NUL byte: this is a binary file',
    line: before.length,
    col: before.at(-1)!.length + 1,
  }
}
