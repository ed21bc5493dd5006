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
  | {readonly algorithm: DigestAlgorithm; readonly checksumUrl: string; readonly signature?: ChecksumSignature}

/**
 * The distribution's OpenPGP signature over its checksum file (catalog boxes only): detached
 * (Ubuntu's SHA256SUMS.gpg) or, without `url`, clear-signed inside the file (Fedora's CHECKSUM).
 */
export type ChecksumSignature = {
  /** The detached signature; undefined when the checksum file is clear-signed. */
  readonly url?: string
  /** The binary OpenPGP key file that must have made it (the catalog's keys/ folder holds them). */
  readonly key: string
}

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
  /**
   * Other URLs of the very same file, tried in order after `url` (the catalog's mirrors). Empty for
   * URL boxes. The digest still comes from `checksum` alone, so a mirror is never trusted for it.
   */
  readonly mirrors: readonly string[]
  /** The image's own cloud user (catalog boxes). Informational: vm creates its own user `vm`. */
  readonly defaultUser?: string
  /** Firmware the image boots with on x86_64; aarch64 always boots UEFI. Catalog boxes only. */
  readonly firmware?: Firmware
  /** The catalog's title, e.g. "Debian 13 (trixie)". */
  readonly title?: string
  /**
   * The x86-64 micro-architecture level the image's userland needs (2 = x86-64-v2, 3 = x86-64-v3),
   * set only for x86_64 images that need more than the baseline: a guest CPU without it dies early
   * in boot (RHEL 9 family needs v2, RHEL 10 family v3), which matters under TCG's default CPU.
   */
  readonly x86_64Level?: X86_64Level
}

export type Firmware = 'bios' | 'uefi'

export type X86_64Level = 1 | 2 | 3 | 4

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
