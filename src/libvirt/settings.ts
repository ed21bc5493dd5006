import {homedir} from 'node:os'
import {join} from 'node:path'

/** Which libvirt vm talks to and where it keeps its volumes there. */
export type LibvirtSettings = {
  readonly uri: string
  /** The storage pool vm creates on first use for boxes, overlays and seed ISOs. */
  readonly pool: string
  readonly poolPath: string
  readonly network: string
  /** libvirt runs on this host: its pool and our cache share a disk, so one copy of a box is enough. */
  readonly local: boolean
  /** Folder where libvirt writes the serial console logs, when the host is this machine. */
  readonly serialLogDir?: string
  /** qemu:///system on this host: one libvirtd, run as root, that every user of the machine shares. */
  readonly system: boolean
  /** How much of /dev/kvm is ours to check (see inspectAccelerator). */
  readonly kvmDeviceCheck: 'read-write' | 'exists' | 'remote'
}

/**
 * qemu:///system by default, as vagrant-libvirt: libvirt's `default` NAT network and its DHCP
 * leases only exist there. VM_LIBVIRT_URI (or LIBVIRT_DEFAULT_URI) picks another; VM_POOL
 * another pool (the tests use their own).
 */
export function resolveLibvirtSettings(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): LibvirtSettings {
  const uri = env.VM_LIBVIRT_URI || env.LIBVIRT_DEFAULT_URI || 'qemu:///system'
  const pool = env.VM_POOL || 'vmfile'
  const session = /^qemu:\/\/\/session/.test(uri)
  const local = /^qemu(\+unix)?:\/\/\/(system|session)/.test(uri)
  const dataHome = env.XDG_DATA_HOME?.startsWith('/') ? env.XDG_DATA_HOME : join(home, '.local/share')
  const cacheHome = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(home, '.cache')
  return {
    uri,
    pool,
    poolPath: session ? join(dataHome, 'libvirt/images', pool) : join('/var/lib/libvirt/images', pool),
    network: 'default',
    local,
    serialLogDir: !local ? undefined : session ? join(cacheHome, 'libvirt/qemu/log') : '/var/log/libvirt/qemu',
    system: local && !session,
    kvmDeviceCheck: !local ? 'remote' : session ? 'read-write' : 'exists',
  }
}
