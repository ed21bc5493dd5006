import {isMap, isNode, isScalar, LineCounter, parseDocument, type Document} from 'yaml'

import {VmError} from '../errors.js'
import {ARCHES, digestLength, isHexDigest, type Arch, type ChecksumSource} from './types.js'

/**
 * One box catalog file, parsed and checked. Pure. The file name is the box name.
 *
 * ```yaml
 * title: Debian 12 (bookworm)
 * os_id: debian12
 * arch:
 *   x86_64:
 *     url: https://…/debian-12-genericcloud-amd64.qcow2
 *     checksum: {url: https://…/SHA512SUMS, algorithm: sha512}   # or {sha256: <hex>} / {sha512: <hex>}
 * ```
 */

export type CatalogImage = {readonly url: string; readonly checksum: ChecksumSource}

export type CatalogEntry = {
  readonly name: string
  readonly title: string
  /** libosinfo short id, e.g. "debian12". */
  readonly osId: string
  readonly images: Partial<Record<Arch, CatalogImage>>
}

/** Box names are file names; this also keeps a name from reaching outside the catalog folder. */
export const CATALOG_NAME = /^[a-z0-9][a-z0-9._-]*$/

/**
 * Parses and validates one catalog file. Throws BOX_CATALOG_INVALID listing every problem, each
 * with `file:line:col` and the field path. Unknown keys are errors: a typo must not be ignored.
 *
 * @param file how the file is named in messages; defaults to `boxes/<name>.yaml`.
 */
export function parseCatalogEntry(name: string, text: string, file = `boxes/${name}.yaml`): CatalogEntry {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: true, uniqueKeys: true})
  const problems: string[] = doc.errors.map((error) => {
    const pos = error.linePos?.[0]
    // prettyErrors appends " at line L, column C:" and a caret excerpt; the position is printed our way.
    const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
    return `${file}${pos ? `:${pos.line}:${pos.col}` : ''} ${message}`
  })
  const checker = new Checker(doc, lineCounter, file, problems)
  const entry = problems.length === 0 ? checkEntry(name, checker) : undefined
  if (!CATALOG_NAME.test(name)) {
    problems.unshift(`${file}: the box name must be lower-case letters, digits, ".", "_" and "-"`)
  }
  if (problems.length > 0 || !entry) {
    const detail = problems.join('\n')
    throw new VmError(`The box catalog file ${file} is invalid.`, {code: 'BOX_CATALOG_INVALID', detail})
  }
  return entry
}

function checkEntry(name: string, check: Checker): CatalogEntry {
  const top = check.map(check.doc.toJS(), [], ['title', 'os_id', 'arch']) ?? {}
  const title = check.string(top.title, ['title'])
  const osId = check.string(top.os_id, ['os_id'], (s) =>
    /^[a-z0-9][a-z0-9.-]*$/.test(s)
      ? undefined
      : `expected a libosinfo short id such as debian12, found ${JSON.stringify(s)}`,
  )
  const arches = check.map(top.arch, ['arch'], ARCHES)
  const images: Partial<Record<Arch, CatalogImage>> = {}
  for (const arch of ARCHES) {
    if (!arches || !(arch in arches)) continue
    const fields = check.map(arches[arch], ['arch', arch], ['url', 'checksum']) ?? {}
    const url = check.string(fields.url, ['arch', arch, 'url'], https)
    images[arch] = {url, checksum: checkChecksum(fields.checksum, ['arch', arch, 'checksum'], check)}
  }
  if (arches && Object.keys(images).length === 0) {
    check.problem(['arch'], `lists no architecture (expected ${ARCHES.join(' and/or ')})`)
  }
  return {name, title, osId, images}
}

/** `{url, algorithm}` (a checksum file) or exactly one of `{sha256: <hex>}`, `{sha512: <hex>}`. */
function checkChecksum(value: unknown, path: readonly string[], check: Checker): ChecksumSource {
  const unusable = {algorithm: 'sha256', digest: ''} as const // returned with a problem recorded
  const fields = check.map(value, path, ['url', 'algorithm', 'sha256', 'sha512'])
  if (!fields) return unusable
  const pinned = (['sha256', 'sha512'] as const).filter((algorithm) => algorithm in fields)
  if ('url' in fields && pinned.length === 0) {
    const algorithm = fields.algorithm
    if (algorithm !== 'sha256' && algorithm !== 'sha512') {
      check.problem([...path, 'algorithm'], `expected sha256 or sha512, found ${describe(algorithm)}`)
    }
    const checksumUrl = check.string(fields.url, [...path, 'url'], https)
    return {checksumUrl, algorithm: algorithm === 'sha256' ? 'sha256' : 'sha512'}
  }
  const algorithm = pinned[0]
  if (!algorithm || pinned.length > 1 || 'url' in fields || 'algorithm' in fields) {
    check.problem(path, 'expected either {url, algorithm} or exactly one of {sha256: <hex>}, {sha512: <hex>}')
    return unusable
  }
  const digest = check.string(fields[algorithm], [...path, algorithm], (s) =>
    isHexDigest(s, algorithm) ? undefined : `expected ${digestLength(algorithm)} lower-case hex digits`,
  )
  return {algorithm, digest}
}

function https(s: string): string | undefined {
  return /^https:\/\/[^/\s]+\/\S*$/.test(s) ? undefined : `expected an https URL, found ${JSON.stringify(s)}`
}

/** Collects problems, each placed at its node in the file. */
class Checker {
  constructor(
    readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
    private readonly problems: string[],
  ) {}

  /** With `atKey`, points at the key rather than the value: that is where an unknown key is. */
  problem(path: readonly string[], message: string, atKey = false): void {
    const node = atKey ? this.keyNode(path) : this.doc.getIn(path, true)
    const offset = isNode(node) && node.range ? node.range[0] : undefined
    const pos = offset === undefined ? undefined : this.lines.linePos(offset)
    const where = `${this.file}${pos ? `:${pos.line}:${pos.col}` : ''}${path.length > 0 ? ` ${path.join('.')}` : ''}`
    this.problems.push(`${where}: ${message}`)
  }

  map(value: unknown, path: readonly string[], keys: readonly string[]): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.problem(path, `expected a mapping, found ${describe(value)}`)
      return undefined
    }
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) this.problem([...path, key], `unknown key (expected ${keys.join(', ')})`, true)
    }
    return value as Record<string, unknown>
  }

  string(value: unknown, path: readonly string[], check?: (s: string) => string | undefined): string {
    if (typeof value !== 'string' || value.trim() === '') {
      this.problem(path, `expected a non-empty string, found ${describe(value)}`)
      return ''
    }
    const complaint = check?.(value)
    if (complaint) this.problem(path, complaint)
    return value
  }

  private keyNode(path: readonly string[]): unknown {
    const parent = path.length > 1 ? this.doc.getIn(path.slice(0, -1), true) : this.doc.contents
    if (!isMap(parent)) return undefined
    return parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1])?.key
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'a mapping' : JSON.stringify(value)
}
