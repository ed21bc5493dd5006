import {constants} from 'node:fs'
import {access} from 'node:fs/promises'

import {VmError} from '../errors.js'
import {formatSize} from '../vmfile/size.js'
import {parseGuestDomainTypes} from '../libvirt/capabilities.js'
import type {LibvirtSettings} from '../libvirt/settings.js'
import type {Virsh} from '../libvirt/virsh.js'
import type {AcceleratorFacts} from './accelerator.js'

/** The storage pool exists and runs; created (dir type, autostarted) on first use. Idempotent. */
export async function ensurePool(virsh: Virsh, settings: LibvirtSettings, log: (line: string) => void = () => undefined): Promise<void> {
  const info = await virsh.poolInfo(settings.pool)
  if (!info) {
    await virsh.definePool(settings.pool, settings.poolPath)
    await virsh.buildPool(settings.pool)
    await virsh.autostartPool(settings.pool)
  }
  if (info?.State === 'running' && settings.local && !(await exists(settings.poolPath))) {
    // Deleted behind libvirt's back: it still lists the volumes that were there. Stopping,
    // building and starting the pool makes the folder again and forgets them; boxes are then
    // imported again, and machines whose disks were there say so when started.
    log(`The folder of libvirt pool ${settings.pool} (${settings.poolPath}) is gone; making it again.`)
    await virsh.destroyPool(settings.pool)
    await virsh.buildPool(settings.pool)
    await virsh.startPool(settings.pool)
    return
  }
  if (info?.State !== 'running') await virsh.startPool(settings.pool)
}

/** Below this much free space in the pool, vm makes no new machine: its disk would fill at once. */
export const MIN_POOL_FREE_BYTES = 2 ** 30

/**
 * Refuses to create machines (or to let one QEMU paused on a full disk run again) in a pool with
 * less than MIN_POOL_FREE_BYTES free, before anything is made: a guest whose overlay cannot grow
 * is paused by QEMU with an I/O error, which looks like a hang. libvirt measures the space, so this holds for a remote host too.
 */
export async function requirePoolSpace(virsh: Virsh, settings: LibvirtSettings, purpose = 'a new machine'): Promise<void> {
  // libvirt keeps the numbers of its last refresh: space freed since would still count as used.
  await virsh.refreshPool(settings.pool)
  const out = await virsh.poolInfoInBytes(settings.pool)
  const free = out === undefined ? undefined : parsePoolFreeBytes(out)
  if (free === undefined || free >= MIN_POOL_FREE_BYTES) return
  throw new VmError(`Not enough free disk space for ${purpose}: pool ${settings.pool} has ${formatSize(free)} free, vm needs ${formatSize(MIN_POOL_FREE_BYTES)}.`, {
    code: 'DISK_FULL',
    hint: `Free space on the disk that holds ${settings.local ? settings.poolPath : `pool ${settings.pool}`} (\`df -h ${settings.local ? settings.poolPath : '...'}\`; \`vm box prune\` removes unused boxes), then run the command again.`,
  })
}

/** "Available: 245060419584" from `virsh pool-info --bytes`. Pure. */
export function parsePoolFreeBytes(text: string): number | undefined {
  const value = Number(/^Available:\s+(\d+)\s*$/m.exec(text)?.[1])
  return Number.isSafeInteger(value) ? value : undefined
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

/**
 * The network machines attach to exists and is active; an inactive one is started (that is what
 * the user would do by hand). A missing one is the user's decision to make, so we say how.
 */
export async function ensureNetwork(virsh: Virsh, name: string, log: (line: string) => void): Promise<void> {
  const info = await virsh.networkInfo(name)
  if (!info) {
    throw new VmError(`libvirt has no network named "${name}" (at ${virsh.uri}).`, {
      code: 'NETWORK_NOT_FOUND',
      hint: `Define libvirt's default NAT network: \`virsh -c ${virsh.uri} net-define /usr/share/libvirt/networks/default.xml && virsh -c ${virsh.uri} net-autostart default\``,
    })
  }
  if (info.Active !== 'yes') {
    log(`Starting libvirt network ${name}`)
    await virsh.startNetwork(name)
  }
}

/**
 * What libvirt and /dev/kvm say about hardware acceleration for ARCH. Where QEMU runs as us
 * (qemu:///session) we need read-write access to /dev/kvm ourselves; under qemu:///system libvirt
 * opens it, so only its presence is ours to check; for a remote host libvirt's word is all we have.
 */
export async function inspectAccelerator(virsh: Virsh, arch: string, device: 'read-write' | 'exists' | 'remote'): Promise<AcceleratorFacts> {
  const offered = parseGuestDomainTypes(await virsh.capabilities(), arch)
  return {offered, kvmDeviceProblem: device === 'remote' ? undefined : await kvmDeviceProblem(device)}
}

async function kvmDeviceProblem(device: 'read-write' | 'exists'): Promise<string | undefined> {
  try {
    await access('/dev/kvm', device === 'exists' ? constants.F_OK : constants.R_OK | constants.W_OK)
    return undefined
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? '/dev/kvm does not exist' : `/dev/kvm is not usable (${code})`
  }
}
