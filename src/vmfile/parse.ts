/**
 * Step 1 of 3: text → YAML document. Only YAML-level problems are found here (syntax,
 * duplicate keys, a file that is not a map of settings); what the settings mean is
 * validate.ts's job.
 */
import {isMap, isScalar, LineCounter, parseDocument, type Document, type Node} from 'yaml'

import {dotted, spanAt, type YamlPath} from './locate.js'
import type {Problem} from './problem.js'
import {describeValue} from './complaint.js'

export type ParsedVmfile = {
  /** Kept for positions: every later problem is located through it. */
  readonly doc: Document.Parsed
  readonly lineCounter: LineCounter
  /**
   * The document as plain JavaScript. Maps become Map objects (keys as written, in file order),
   * so machine order is the file's even for names like "10" that a plain object would reorder.
   */
  readonly raw: unknown
  /** Syntax problems. When any is an error, later steps should not run. */
  readonly problems: readonly Problem[]
}

const EXAMPLE = 'expected a map of settings such as "box: debian-12"'

/**
 * Parses a Vmfile's text. Never throws: YAML errors, duplicate keys, an empty file and a top
 * level that is not a map are returned as problems with positions. Does not look at keys or
 * values beyond that.
 */
export function parseVmfile(source: string): ParsedVmfile {
  const lineCounter = new LineCounter()
  // prettyErrors off: we render positions ourselves, so yaml's messages stay one short line.
  const doc = parseDocument(source, {lineCounter, uniqueKeys: true, prettyErrors: false})
  const problems: Problem[] = [
    ...doc.errors.map((error) => yamlProblem(doc, lineCounter, 'error', error)),
    ...doc.warnings.map((warning) => yamlProblem(doc, lineCounter, 'warning', warning)),
  ]
  let raw: unknown
  try {
    raw = doc.toJS({mapAsMap: true})
  } catch (error) {
    // toJS refuses "billion laughs" alias bombs (maxAliasCount); report it like a syntax error.
    problems.push({severity: 'error', path: '', message: `invalid YAML: ${(error as Error).message}`})
  }
  if (problems.length === 0) problems.push(...checkTopLevel(doc, lineCounter, raw, source))
  return {doc, lineCounter, raw, problems}
}

type YamlIssue = {code: string; message: string; pos: [number, number]}

function yamlProblem(
  doc: Document.Parsed,
  lineCounter: LineCounter,
  severity: Problem['severity'],
  issue: YamlIssue,
): Problem {
  const duplicate = issue.code === 'DUPLICATE_KEY' ? findKey(doc.contents, issue.pos[0], []) : undefined
  if (duplicate) {
    const first = lineCounter.linePos(duplicate.firstOffset).line
    const message = `duplicate key; ${String(duplicate.path.at(-1))} is already set on line ${first}`
    return {severity, path: dotted(duplicate.path), message, ...spanAt(lineCounter, ...duplicate.range)}
  }
  return {severity, path: '', message: `invalid YAML: ${issue.message}`, ...spanAt(lineCounter, ...issue.pos)}
}

type FoundKey = {path: YamlPath; range: [number, number]; firstOffset: number}

/** The path and range of the map key starting at `offset`, and where the first key with its name starts. */
function findKey(node: unknown, offset: number, path: YamlPath): FoundKey | undefined {
  if (!isMap(node)) return undefined
  for (const pair of node.items) {
    const key = pair.key as Node | null
    if (isScalar(key) && key.range?.[0] === offset) {
      const first = node.items.find((other) => isScalar(other.key) && other.key.value === key.value)
      const range: [number, number] = [offset, key.range[1]]
      return {path: [...path, String(key.value)], range, firstOffset: (first?.key as Node).range?.[0] ?? offset}
    }
    const name = isScalar(key) ? String(key.value) : '?'
    const below = findKey(pair.value, offset, [...path, name])
    if (below) return below
  }
  return undefined
}

function checkTopLevel(doc: Document.Parsed, lineCounter: LineCounter, raw: unknown, source: string): Problem[] {
  if (raw === null || raw === undefined) {
    const found = source.trim() === '' ? 'an empty file' : 'nothing'
    return [{severity: 'error', path: '', message: `${EXAMPLE}, found ${found}`}]
  }
  if (raw instanceof Map) return []
  const range = (doc.contents as Node | null)?.range
  const span = range ? spanAt(lineCounter, range[0], range[1]) : {}
  return [{severity: 'error', path: '', message: `${EXAMPLE}, found ${describeValue(raw)}`, ...span}]
}
