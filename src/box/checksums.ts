import {VmError} from '../errors.js'
import {digestLength, type DigestAlgorithm} from './types.js'

/**
 * Checksum files as the distributions publish them. Pure: text in, entries out.
 *
 * - GNU coreutils style (Debian's SHA512SUMS, Ubuntu's SHA256SUMS): `<hex>  name` or `<hex> *name`
 *   (the star is "binary mode"; Ubuntu writes it). The algorithm is implied by the digest's length.
 * - BSD style (Fedora's and Rocky's CHECKSUM, `sha256sum --tag`): `SHA256 (name) = <hex>`.
 * - Either may be wrapped in a PGP clear-signature (Fedora's is); the armour is skipped. We do not
 *   verify the signature here: the file comes over HTTPS from the same host as the image.
 */

export type ChecksumEntry = {
  readonly algorithm: DigestAlgorithm
  readonly fileName: string
  /** Lower-case hex. */
  readonly digest: string
}

const GNU_LINE = /^(\\?)([0-9a-fA-F]+) [ *]?(.+)$/
const BSD_LINE = /^(SHA-?256|SHA-?512) ?\((.+)\) ?= ?([0-9a-fA-F]+)$/i

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
  return {algorithm, fileName: normalise(name), digest}
}

/**
 * The entry for `fileName` (compared exactly, after dropping a leading "./"). When the file lists the
 * name under several algorithms, `preferred` wins, else the strongest. Throws BOX_CHECKSUM_AMBIGUOUS
 * when the chosen algorithm has two different digests for the name: guessing would defeat the check.
 *
 * @param source names the checksum file in the error message.
 */
export function findDigest(
  entries: readonly ChecksumEntry[],
  fileName: string,
  preferred?: DigestAlgorithm,
  source = 'The checksum file',
): ChecksumEntry | undefined {
  const matches = entries.filter((entry) => entry.fileName === normalise(fileName))
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

function normalise(name: string): string {
  return name.startsWith('./') ? name.slice(2) : name
}

function algorithmOfLength(length: number): DigestAlgorithm | undefined {
  return length === 64 ? 'sha256' : length === 128 ? 'sha512' : undefined
}
