import {VmError} from '../errors.js'
import {digestLength, type DigestAlgorithm} from './types.js'

/**
 * Checksum files as the distributions publish them. Pure: text in, entries out.
 *
 * - GNU coreutils style (Debian's SHA512SUMS, Ubuntu's SHA256SUMS): `<hex>  name` or `<hex> *name`
 *   (the star is "binary mode"; Ubuntu writes it). The algorithm is implied by the digest's length.
 * - BSD style (Fedora's and Rocky's CHECKSUM, `sha256sum --tag`): `SHA256 (name) = <hex>`.
 * - Either may be wrapped in a PGP clear-signature (Fedora's is); the armour is skipped. The
 *   signature is not checked here: where the catalog names the distribution's key,
 *   verify-signature.ts checks it first and hands over only the text it covers.
 * - A per-image ("sidecar") file beside one image, named after it: Arch's `.SHA256` and openSUSE's
 *   `.sha256` (GNU style), CentOS Stream's `.SHA256SUM` (BSD style), Alpine's `.sha512` (a bare
 *   digest, no name at all). A bare digest is listed under the name BESIDE.
 */

export type ChecksumEntry = {
  readonly algorithm: DigestAlgorithm
  readonly fileName: string
  /** Lower-case hex. */
  readonly digest: string
}

/**
 * The file name of an entry that names no file: a bare digest (Alpine's `.sha512`) or `sha256sum`'s
 * "-" for standard input. Such an entry applies to the image the file sits beside.
 */
export const BESIDE = ''

const GNU_LINE = /^(\\?)([0-9a-fA-F]+) [ *]?(.+)$/
const BSD_LINE = /^(SHA-?256|SHA-?512) ?\((.+)\) ?= ?([0-9a-fA-F]+)$/i
const BARE_LINE = /^[0-9a-fA-F]+$/
/** What a sidecar file's name adds to its image's name: `.SHA256`, `.sha512`, `.SHA256SUM`, `.CHECKSUM`. */
const SIDECAR_SUFFIX = /^\.(sha(256|512)(sums?)?|checksums?)$/i

/** Every sha256/sha512 entry in the file, in file order. Other algorithms and stray lines are ignored. */
export function parseChecksumFile(text: string): ChecksumEntry[] {
  const entries: ChecksumEntry[] = []
  let skipping: 'none' | 'armour-header' | 'signature' = 'none'
  for (const raw of text.split('\n')) {
    let line = raw.replace(/\r$/, '')
    if (skipping === 'armour-header') {
      // "Hash: SHA256" and friends run up to the first blank line.
      if (line.trim() === '') skipping = 'none'
      continue
    }
    if (skipping === 'signature') {
      if (line.startsWith('-----END PGP SIGNATURE-----')) skipping = 'none'
      continue
    }
    if (line.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) {
      skipping = 'armour-header'
      continue
    }
    if (line.startsWith('-----BEGIN PGP SIGNATURE-----')) {
      skipping = 'signature'
      continue
    }
    // A clear-signed message dash-escapes lines that start with a dash (RFC 4880 §7.1).
    if (line.startsWith('- ')) line = line.slice(2)
    line = line.trim()
    if (line === '' || line.startsWith('#')) continue
    const entry = parseLine(line)
    if (entry) entries.push(entry)
  }
  return entries
}

function parseLine(line: string): ChecksumEntry | undefined {
  if (BARE_LINE.test(line)) {
    const algorithm = algorithmOfLength(line.length)
    return algorithm ? {algorithm, fileName: BESIDE, digest: line.toLowerCase()} : undefined
  }
  const bsd = BSD_LINE.exec(line)
  if (bsd) {
    const algorithm: DigestAlgorithm = bsd[1]!.replace('-', '').toLowerCase() === 'sha256' ? 'sha256' : 'sha512'
    const digest = bsd[3]!.toLowerCase()
    return digest.length === digestLength(algorithm) ? {algorithm, fileName: normalise(bsd[2]!), digest} : undefined
  }
  const gnu = GNU_LINE.exec(line)
  if (!gnu) return undefined
  const digest = gnu[2]!.toLowerCase()
  const algorithm = algorithmOfLength(digest.length)
  if (!algorithm) return undefined
  // coreutils prefixes the line with a backslash when it had to escape the name.
  const name = gnu[1] ? gnu[3]!.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : gnu[3]!
  return {algorithm, fileName: name === '-' ? BESIDE : normalise(name), digest}
}

export type FindDigestOptions = {
  /**
   * Where the checksum file came from. When it is the image's own sidecar (see isSidecarFile), an
   * entry under another name still applies, provided the file lists just one name: CentOS Stream's
   * `-latest` image and its `.SHA256SUM` are links to a dated build, and the file names that build.
   */
  readonly checksumUrl?: string
}

/**
 * The entry for `fileName` (compared exactly, after dropping a leading "./"). A file that holds only
 * bare digests (BESIDE) applies to whichever image it sits beside; so does a sidecar file that lists
 * one other name (see FindDigestOptions). When the file lists the name under several algorithms,
 * `preferred` wins, else the strongest. Throws BOX_CHECKSUM_AMBIGUOUS when the chosen algorithm has
 * two different digests for the name: guessing would defeat the check.
 *
 * @param source names the checksum file in the error message.
 */
export function findDigest(
  entries: readonly ChecksumEntry[],
  fileName: string,
  preferred?: DigestAlgorithm,
  source = 'The checksum file',
  options: FindDigestOptions = {},
): ChecksumEntry | undefined {
  const matches = candidates(entries, fileName, options)
  const algorithm =
    preferred && matches.some((entry) => entry.algorithm === preferred)
      ? preferred
      : matches.some((entry) => entry.algorithm === 'sha512')
        ? 'sha512'
        : 'sha256'
  const chosen = matches.filter((entry) => entry.algorithm === algorithm)
  const digests = new Set(chosen.map((entry) => entry.digest))
  if (digests.size > 1) {
    throw new VmError(`${source} lists ${fileName} more than once with different ${algorithm} digests.`, {
      code: 'BOX_CHECKSUM_AMBIGUOUS',
      detail: [...digests].join('\n'),
    })
  }
  return chosen[0]
}

/** The entries that may hold `fileName`'s digest, by the rules findDigest describes. */
function candidates(
  entries: readonly ChecksumEntry[],
  fileName: string,
  options: FindDigestOptions,
): readonly ChecksumEntry[] {
  const named = entries.filter((entry) => entry.fileName === normalise(fileName))
  if (named.length > 0) return named
  // Only a file of nothing but bare digests is about the image beside it; in a list of named
  // entries, a stray bare line says nothing about which file it belongs to.
  if (entries.length > 0 && entries.every((entry) => entry.fileName === BESIDE)) return entries
  const names = new Set(entries.map((entry) => entry.fileName))
  if (options.checksumUrl && names.size === 1 && isSidecarFile(options.checksumUrl, fileName)) return entries
  return []
}

/**
 * True when the checksum file at `checksumUrl` is `fileName`'s own sidecar: the same folder's file
 * named after the image plus a checksum suffix (`.SHA256`, `.sha256`, `.sha512`, `.SHA256SUM`,
 * `.CHECKSUM`). Such a file describes that one image whatever name it gives it.
 */
export function isSidecarFile(checksumUrl: string, fileName: string): boolean {
  let path: string
  try {
    path = new URL(checksumUrl).pathname
  } catch {
    path = checksumUrl // an absolute local path
  }
  let last = path.slice(path.lastIndexOf('/') + 1)
  try {
    last = decodeURIComponent(last)
  } catch {
    // keep it as written
  }
  return last.startsWith(fileName) && SIDECAR_SUFFIX.test(last.slice(fileName.length))
}

function normalise(name: string): string {
  return name.startsWith('./') ? name.slice(2) : name
}

function algorithmOfLength(length: number): DigestAlgorithm | undefined {
  return length === 64 ? 'sha256' : length === 128 ? 'sha512' : undefined
}
