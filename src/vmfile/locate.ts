/**
 * From a YAML path (["machines", "beta", "memory"]) to the line and column a problem should
 * point at. Positions come from the parsed Document's node ranges and a LineCounter, so they
 * survive comments, flow style and odd indentation.
 */
import {isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node} from 'yaml'

/** Keys (and, for lists, indexes) from the top of the document down to one value. */
export type YamlPath = readonly (string | number)[]

/** Where a problem is: 1-based line and column, and how many characters to underline. */
export type Span = {readonly line: number; readonly col: number; readonly length: number}

/** What locate needs from parseVmfile's result. */
export type Positioned = {readonly doc: Document.Parsed; readonly lineCounter: LineCounter}

/** "machines.beta.memory" for ["machines", "beta", "memory"]. */
export function dotted(path: YamlPath): string {
  return path.join('.')
}

/**
 * The span of the value at `path` (or of its key, with on = 'key'). An empty value such as
 * `memory:` points at the key, since there is nothing to underline after the colon. When only
 * part of the path exists (a required key is missing), points at the key of the deepest part
 * that does. Returns undefined for the empty path or when not even the first key exists.
 */
export function locate(parsed: Positioned, path: YamlPath, on: 'key' | 'value' = 'value'): Span | undefined {
  const {doc, lineCounter} = parsed
  let node: unknown = doc.contents
  let found: {key: Node; value: Node | null} | undefined
  let depth = 0
  for (const segment of path) {
    // An alias (*name) stands for the anchored node; follow it to reach the keys below.
    if (isAlias(node)) node = node.resolve(doc)
    if (isSeq(node) && typeof segment === 'number') {
      // A list item has no key: it stands for itself both ways.
      const item = node.items[segment] as Node | undefined
      if (!item) break
      found = {key: item, value: item}
      node = item
      depth++
      continue
    }
    if (!isMap(node)) break
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))
    if (!pair || !isScalar(pair.key)) break
    found = {key: pair.key, value: (pair.value as Node | null) ?? null}
    node = pair.value
    depth++
  }
  if (!found) return undefined
  const valueRange = found.value?.range
  const useKey = on === 'key' || depth < path.length || !valueRange || valueRange[0] === valueRange[1]
  const range = useKey ? found.key.range : valueRange
  return range ? spanAt(lineCounter, range[0], range[1]) : undefined
}

/**
 * The span from offset `start` to `end`, clipped to the end of the line `start` is on: carets
 * are drawn under one source line only.
 */
export function spanAt(lineCounter: LineCounter, start: number, end: number): Span {
  const {line, col} = lineCounter.linePos(start)
  // lineStarts[line] is where the next (1-based line + 1) line begins; its newline is just before.
  const lineEnd = (lineCounter.lineStarts[line] ?? Number.POSITIVE_INFINITY) - 1
  return {line, col, length: Math.max(1, Math.min(end, lineEnd) - start)}
}
