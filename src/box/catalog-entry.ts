import {dirname, join} from 'node:path'

import {isMap, isNode, isScalar, LineCounter, parseDocument, type Document} from 'yaml'

import {VmError} from '../errors.js'
import {
  ARCHES,
  digestLength,
  isHexDigest,
  type Arch,
  type ChecksumSignature,
  type ChecksumSource,
  type Firmware,
  type X86_64Level,
} from './types.js'

/**
 * One box catalog file, parsed and checked. Pure. The file name is the box name.
 *
 * ```yaml
 * title: Debian 13 (trixie)
 * os_id: debian13
 * aliases: [debian]            # optional: other names the box answers to
 * default_user: debian         # the image's own cloud user (informational)
 * firmware: bios               # optional, bios by default: uefi only when BIOS cannot boot it
 * x86_64_level: 3              # optional: the x86-64-vN its x86_64 image needs beyond the baseline
 * arch:
 *   x86_64:
 *     url: https://…/debian-13-genericcloud-amd64.qcow2
 *     mirrors: [https://…]     # optional: the same file elsewhere, tried in order after url
 *     checksum: {url: https://…/SHA512SUMS, algorithm: sha512}   # or {sha256: <hex>} / {sha512: <hex>}
 *     # optional, where the distribution signs its checksum file: a detached signature, or
 *     # {inline: true, key: …} for a clear-signed file; the key is a file in boxes/keys/
 *     checksum: {url: https://…/SHA256SUMS, algorithm: sha256, signature: {url: https://…/SHA256SUMS.gpg, key: ubuntu-cloudimage-keyring.gpg}}
 * ```
 */

export type CatalogImage = {
  readonly url: string
  /** The same file elsewhere, tried in order after `url`. Never a source of the digest. */
  readonly mirrors: readonly string[]
  readonly checksum: ChecksumSource
}

export type CatalogEntry = {
  readonly name: string
  readonly title: string
  /** libosinfo short id, e.g. "debian12". */
  readonly osId: string
  /** Other names the box answers to ("debian"); unique across the catalog (see loadCatalog). */
  readonly aliases: readonly string[]
  /** The image's own cloud user. Informational: vm creates its own user. */
  readonly defaultUser: string
  /** How the x86_64 image boots; aarch64 guests always boot UEFI. */
  readonly firmware: Firmware
  /** x86-64 micro-architecture level the x86_64 image needs, when above the baseline. */
  readonly x86_64Level?: X86_64Level
  readonly images: Partial<Record<Arch, CatalogImage>>
}

/** Box names are file names; this also keeps a name from reaching outside the catalog folder. */
export const CATALOG_NAME = /^[a-z0-9][a-z0-9._-]*$/

const TOP_KEYS = ['title', 'os_id', 'aliases', 'default_user', 'firmware', 'x86_64_level', 'arch'] as const
const IMAGE_KEYS = ['url', 'mirrors', 'checksum'] as const
const FIRMWARES: readonly Firmware[] = ['bios', 'uefi']
/** A key file in the catalog's keys/ folder: a plain name (no path), a binary OpenPGP keyring. */
export const KEY_FILE = /^[a-z0-9][a-z0-9._-]*\.gpg$/
/** A user name cloud-init would accept on any of these distributions. */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/

type Path = readonly (string | number)[]

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
  const top = check.map(check.doc.toJS(), [], TOP_KEYS) ?? {}
  const title = check.string(top.title, ['title'])
  const osId = check.string(top.os_id, ['os_id'], (s) =>
    /^[a-z0-9][a-z0-9.-]*$/.test(s)
      ? undefined
      : `expected a libosinfo short id such as debian12, found ${JSON.stringify(s)}`,
  )
  const aliases = 'aliases' in top ? checkAliases(top.aliases, name, check) : []
  const defaultUser = check.string(top.default_user, ['default_user'], (s) =>
    USER_NAME.test(s) ? undefined : `expected a user name such as debian, found ${JSON.stringify(s)}`,
  )
  const firmware = 'firmware' in top ? checkFirmware(top.firmware, check) : 'bios'
  const arches = check.map(top.arch, ['arch'], ARCHES)
  const images: Partial<Record<Arch, CatalogImage>> = {}
  for (const arch of ARCHES) {
    if (!arches || !(arch in arches)) continue
    images[arch] = checkImage(arches[arch], ['arch', arch], check)
  }
  if (arches && Object.keys(images).length === 0) {
    check.problem(['arch'], `lists no architecture (expected ${ARCHES.join(' and/or ')})`)
  }
  const x86_64Level = 'x86_64_level' in top ? checkLevel(top.x86_64_level, arches, check) : undefined
  return {
    name,
    title,
    osId,
    aliases,
    defaultUser,
    firmware,
    ...(x86_64Level === undefined ? {} : {x86_64Level}),
    images,
  }
}

function checkImage(value: unknown, path: Path, check: Checker): CatalogImage {
  const fields = check.map(value, path, IMAGE_KEYS) ?? {}
  const url = check.string(fields.url, [...path, 'url'], https)
  const mirrors = 'mirrors' in fields ? checkMirrors(fields.mirrors, url, [...path, 'mirrors'], check) : []
  return {url, mirrors, checksum: checkChecksum(fields.checksum, [...path, 'checksum'], check)}
}

/** A list of distinct https URLs, none of them the image's own `url`. */
function checkMirrors(value: unknown, url: string, path: Path, check: Checker): string[] {
  return check.list(value, path, (mirror, earlier) => {
    if (mirror === url) return 'is the image URL itself; list only other places'
    if (earlier.includes(mirror)) return 'is listed twice'
    return https(mirror)
  })
}

/** Distinct box-name-shaped strings, none of them the box's own name. */
function checkAliases(value: unknown, name: string, check: Checker): string[] {
  return check.list(value, ['aliases'], (alias, earlier) => {
    if (!CATALOG_NAME.test(alias)) {
      return `expected lower-case letters, digits, ".", "_" and "-", found ${JSON.stringify(alias)}`
    }
    if (alias === name) return 'is the box name itself'
    return earlier.includes(alias) ? 'is listed twice' : undefined
  })
}

function checkFirmware(value: unknown, check: Checker): Firmware {
  if (FIRMWARES.includes(value as Firmware)) return value as Firmware
  check.problem(['firmware'], `expected ${FIRMWARES.join(' or ')}, found ${describe(value)}`)
  return 'bios'
}

/** 2, 3 or 4 (1 is every x86_64 CPU, so it need not be said), and only with an x86_64 image. */
function checkLevel(value: unknown, arches: Record<string, unknown> | undefined, check: Checker): X86_64Level | undefined {
  if (value !== 2 && value !== 3 && value !== 4) {
    check.problem(['x86_64_level'], `expected 2, 3 or 4 (x86-64-v2 and up), found ${describe(value)}`)
    return undefined
  }
  if (arches && !('x86_64' in arches)) check.problem(['x86_64_level'], 'is set but the box has no x86_64 image')
  return value
}

/** `{url, algorithm}` (a checksum file) or exactly one of `{sha256: <hex>}`, `{sha512: <hex>}`. */
function checkChecksum(value: unknown, path: Path, check: Checker): ChecksumSource {
  const unusable = {algorithm: 'sha256', digest: ''} as const // returned with a problem recorded
  const fields = check.map(value, path, ['url', 'algorithm', 'signature', 'sha256', 'sha512'])
  if (!fields) return unusable
  const pinned = (['sha256', 'sha512'] as const).filter((algorithm) => algorithm in fields)
  if ('url' in fields && pinned.length === 0) {
    const algorithm = fields.algorithm
    if (algorithm !== 'sha256' && algorithm !== 'sha512') {
      check.problem([...path, 'algorithm'], `expected sha256 or sha512, found ${describe(algorithm)}`)
    }
    const checksumUrl = check.string(fields.url, [...path, 'url'], https)
    const signature = 'signature' in fields ? checkSignature(fields.signature, checksumUrl, [...path, 'signature'], check) : undefined
    return {checksumUrl, algorithm: algorithm === 'sha256' ? 'sha256' : 'sha512', ...(signature ? {signature} : {})}
  }
  const algorithm = pinned[0]
  if (!algorithm || pinned.length > 1 || 'url' in fields || 'algorithm' in fields || 'signature' in fields) {
    check.problem(path, 'expected either {url, algorithm} or exactly one of {sha256: <hex>}, {sha512: <hex>}')
    return unusable
  }
  const digest = check.string(fields[algorithm], [...path, algorithm], (s) =>
    isHexDigest(s, algorithm) ? undefined : `expected ${digestLength(algorithm)} lower-case hex digits`,
  )
  return {algorithm, digest}
}

/**
 * `{url: <https>, key: <file>}` (a detached signature) or `{inline: true, key: <file>}` (a
 * clear-signed checksum file). The key comes back as its path: keys/<file> beside the catalog file.
 */
function checkSignature(value: unknown, checksumUrl: string, path: Path, check: Checker): ChecksumSignature | undefined {
  const fields = check.map(value, path, ['url', 'inline', 'key'])
  if (!fields) return undefined
  const key = check.string(fields.key, [...path, 'key'], (s) =>
    KEY_FILE.test(s) ? undefined : `expected the name of a .gpg file in boxes/keys/, found ${JSON.stringify(s)}`,
  )
  if ('url' in fields === (fields.inline === true) || ('inline' in fields && fields.inline !== true)) {
    check.problem(path, 'expected either url: <the detached signature> or inline: true (a clear-signed checksum file), with key:')
    return undefined
  }
  const keyFile = join(check.keysDir, key)
  if (fields.inline === true) return {key: keyFile}
  const url = check.string(fields.url, [...path, 'url'], (s) => (s === checksumUrl ? 'is the checksum file itself; use inline: true for a clear-signed file' : https(s)))
  return {url, key: keyFile}
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

  /** Where this catalog keeps the keys its signatures name: keys/ beside the file. */
  get keysDir(): string {
    return join(dirname(this.file), 'keys')
  }

  /** With `atKey`, points at the key rather than the value: that is where an unknown key is. */
  problem(path: Path, message: string, atKey = false): void {
    const node = atKey ? this.keyNode(path) : this.doc.getIn(path, true)
    const offset = isNode(node) && node.range ? node.range[0] : undefined
    const pos = offset === undefined ? undefined : this.lines.linePos(offset)
    const where = `${this.file}${pos ? `:${pos.line}:${pos.col}` : ''}${path.length > 0 ? ` ${showPath(path)}` : ''}`
    this.problems.push(`${where}: ${message}`)
  }

  map(value: unknown, path: Path, keys: readonly string[]): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.problem(path, `expected a mapping, found ${describe(value)}`)
      return undefined
    }
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) this.problem([...path, key], `unknown key (expected ${keys.join(', ')})`, true)
    }
    return value as Record<string, unknown>
  }

  string(value: unknown, path: Path, check?: (s: string) => string | undefined): string {
    if (typeof value !== 'string' || value.trim() === '') {
      this.problem(path, `expected a non-empty string, found ${describe(value)}`)
      return ''
    }
    const complaint = check?.(value)
    if (complaint) this.problem(path, complaint)
    return value
  }

  /**
   * A list of non-empty strings, each also checked by `check` (given the good items before it).
   * Items with a problem are reported at their position and left out.
   */
  list(
    value: unknown,
    path: Path,
    check: (item: string, earlier: readonly string[]) => string | undefined,
  ): string[] {
    if (!Array.isArray(value)) {
      this.problem(path, `expected a list, found ${describe(value)}`)
      return []
    }
    const good: string[] = []
    value.forEach((item: unknown, index) => {
      const where = [...path, index]
      if (typeof item !== 'string' || item.trim() === '') {
        this.problem(where, `expected a non-empty string, found ${describe(item)}`)
        return
      }
      const complaint = check(item, good)
      if (complaint) this.problem(where, complaint)
      else good.push(item)
    })
    return good
  }

  private keyNode(path: Path): unknown {
    const parent = path.length > 1 ? this.doc.getIn(path.slice(0, -1), true) : this.doc.contents
    if (!isMap(parent)) return undefined
    return parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1])?.key
  }
}

/** `arch.x86_64.mirrors[1]`: a field path, with list positions counted from 0 as YAML tools do. */
function showPath(path: Path): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('')
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'a mapping' : JSON.stringify(value)
}
