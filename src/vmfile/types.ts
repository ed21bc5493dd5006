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

/** A forwarded port: HOST_IP:HOST_PORT on the libvirt host reaches GUEST_PORT in the machine. */
export type PortForward = {
  /** An IPv4 address to bind on the host; 127.0.0.1 unless the Vmfile names another. */
  readonly hostIp: string
  readonly hostPort: number
  readonly guestPort: number
  readonly protocol: 'tcp' | 'udp'
}

export type FolderType = 'rsync' | '9p' | 'virtiofs'

/** A host folder made available in the machine. */
export type SyncedFolder = {
  /** Absolute; relative paths in the Vmfile resolve against its folder. */
  readonly hostPath: string
  /** Absolute path in the guest. */
  readonly guestPath: string
  readonly type: FolderType
  /** rsync only: patterns left out of the copy (`.vm/` always is). Relative to hostPath. */
  readonly exclude: readonly string[]
}

/** One provisioner, in the order the Vmfile lists them. `label` names it in messages: "shell #2 (setup.sh)". */
export type Provisioner = {readonly label: string} & (
  | {
      readonly kind: 'shell'
      /** Exactly one of inline / path is set; path is absolute. */
      readonly inline?: string
      readonly path?: string
      /** Run as root (default) or as the login user. */
      readonly privileged: boolean
      readonly env: Readonly<Record<string, string>>
      readonly args: readonly string[]
    }
  | {
      readonly kind: 'file'
      /** Absolute host path of a file or a folder. */
      readonly source: string
      /** Guest path; written as the login user, as Vagrant's file provisioner does. */
      readonly destination: string
    }
  | {
      readonly kind: 'ansible'
      /** Absolute host path of the playbook. */
      readonly playbook: string
      readonly extraVars: Readonly<Record<string, unknown>>
    }
)

/** The user's own cloud-config, merged with what vm needs (see cloudinit/merge-user-config.ts). */
export type UserCloudInit =
  | {readonly kind: 'inline'; readonly config: Readonly<Record<string, unknown>>}
  /** Absolute path of a file that must start with `#cloud-config`; read when it is used. */
  | {readonly kind: 'file'; readonly path: string}

/** A NIC on the project's own isolated network. */
export type PrivateNetwork = {readonly kind: 'static'; readonly ip: string} | {readonly kind: 'dhcp'}

export type MachineConfig = {
  /** The key under `machines:`, or "default"; also the guest's hostname. */
  readonly name: string
  readonly box: BoxSource
  readonly cpus: number
  readonly memoryBytes: number
  /** The overlay's virtual size; the guest's root file system grows to it. */
  readonly diskBytes: number
  readonly accelerator: Accelerator
  readonly cloudInit?: UserCloudInit
  readonly folders: readonly SyncedFolder[]
  readonly ports: readonly PortForward[]
  readonly provisioners: readonly Provisioner[]
  /** The libvirt network of the first NIC, through which vm reaches the machine; undefined: the default. */
  readonly network?: string
  /** A host bridge for a second NIC, addressed by the LAN's DHCP. */
  readonly bridge?: string
  readonly privateNetwork?: PrivateNetwork
}

export type Vmfile = {
  /** Absolute path of the Vmfile. */
  readonly path: string
  /** The folder that holds the Vmfile: the project. */
  readonly projectDir: string
  /** In the order the Vmfile lists them. */
  readonly machines: readonly MachineConfig[]
}
