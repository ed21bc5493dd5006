/** The resolved Vmfile: every default filled, every value checked and converted. */

export type Accelerator = 'auto' | 'kvm' | 'tcg'

/** Where a machine's base image comes from. */
export type BoxSource =
  /** A name from boxes/ (the catalog), e.g. "debian-12". */
  | {readonly kind: 'catalog'; readonly name: string}
  /** An explicit image: a URL (http, https, file) or a local path resolved against the Vmfile's folder. */
  | {
      readonly kind: 'url'
      /**
       * An http(s) or file:// URL exactly as written, or an absolute local path. A relative path
       * is resolved against the Vmfile's folder but stays a path (not a file:// URL): that is what
       * fs calls and qemu-img take, and what users recognise in messages. Tell the two apart by
       * the leading "/".
       */
      readonly url: string
      /**
       * For an http(s) url exactly one of sha256 / checksumUrl is set; for a file:// URL or a local
       * path at most one (neither is required). sha256 is 64 lower-case hex digits; checksumUrl is
       * an http, https or file URL of a SHA256SUMS-style file.
       */
      readonly sha256?: string
      readonly checksumUrl?: string
    }

export type MachineConfig = {
  /** The key under `machines:`, or "default"; also the guest's hostname. */
  readonly name: string
  readonly box: BoxSource
  readonly cpus: number
  readonly memoryBytes: number
  /** The overlay's virtual size; the guest's root file system grows to it. */
  readonly diskBytes: number
  readonly accelerator: Accelerator
}

export type Vmfile = {
  /** Absolute path of the Vmfile. */
  readonly path: string
  /** The folder that holds the Vmfile: the project. */
  readonly projectDir: string
  /** In the order the Vmfile lists them. */
  readonly machines: readonly MachineConfig[]
}
