/** The shapes shared by the box modules: what to fetch, how to verify it, what the cache holds. */

/** Machine architectures we can boot, named the way libvirt and the distributions' file lists name them. */
export type Arch = 'x86_64' | 'aarch64'

export const ARCHES: readonly Arch[] = ['x86_64', 'aarch64']

export type DigestAlgorithm = 'sha256' | 'sha512'

/**
 * Where the expected digest of an image comes from: pinned in the catalog or the Vmfile, or looked up
 * in the checksum file the distribution publishes beside the image (fetched fresh on every use).
 */
export type ChecksumSource =
  | {readonly algorithm: DigestAlgorithm; readonly digest: string}
  | {readonly algorithm: DigestAlgorithm; readonly checksumUrl: string}

/** A box resolved down to one image for one architecture: everything ensureBox needs. */
export type BoxRequest = {
  /** The catalog name, or a short label derived from the image's file name. Shown to people. */
  readonly name: string
  /** http(s)://, file:// or an absolute local path. */
  readonly url: string
  /** Only a local file may come without one; its digest is then computed and trusted. */
  readonly checksum: ChecksumSource | undefined
  /** libosinfo short id (e.g. "debian12"), when the catalog knows it. */
  readonly osId?: string
}

/** A verified image in the box cache. */
export type CachedBox = {
  readonly sha256: string
  /** Absolute path of the image file; never written to once it is in the cache. */
  readonly path: string
  readonly size: number
  readonly name: string
  /** True when no byte was transferred for this call. */
  readonly fromCache: boolean
}

/** Hex digits in a digest of this algorithm. */
export function digestLength(algorithm: DigestAlgorithm): number {
  return algorithm === 'sha256' ? 64 : 128
}

/** Lower-case hex digits of the right length for the algorithm. */
export function isHexDigest(value: string, algorithm: DigestAlgorithm): boolean {
  return value.length === digestLength(algorithm) && /^[0-9a-f]+$/.test(value)
}
