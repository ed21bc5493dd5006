/**
 * Thin virsh calls for libvirt's managed save: the domain's memory goes to a file libvirt owns
 * (/var/lib/libvirt/qemu/save/DOMAIN.save), QEMU exits, and the next `virsh start` restores the
 * memory instead of booting. `virsh undefine --managed-save` (Virsh.undefineDomain) removes it.
 */
import {parseManagedSave} from './dominfo-parse.js'
import type {Virsh} from './virsh.js'

/** Whether the domain has a managed-save image; false when there is no such domain. */
export async function inspectManagedSave(virsh: Virsh, domain: string): Promise<boolean> {
  const out = await virsh.query(['dominfo', domain])
  return out !== undefined && parseManagedSave(out)
}

/**
 * Whether a machine is suspended: libvirt's "shut off" with a managed-save image. Asks libvirt
 * only about a shut-off domain, so callers can pass every machine's status (vm status, halt, up).
 */
export async function inspectSuspended(virsh: Virsh, status: {readonly state: string; readonly domain: string}): Promise<boolean> {
  return status.state === 'shutoff' && inspectManagedSave(virsh, status.domain)
}

/**
 * Saves a running or paused domain's memory and stops it. --running makes the restore run the
 * guest even when it was paused: without it libvirt restores a paused domain paused.
 */
export async function managedSave(virsh: Virsh, domain: string): Promise<void> {
  // Writing the memory takes as long as the disk needs (about 2 s per GiB of touched memory
  // here); no deadline. Ctrl-C reaches virsh too, which then cancels libvirt's save job.
  await virsh.run(['managedsave', '--running', domain], {timeoutMs: undefined})
}

/** Discards the saved memory: the next start boots afresh. */
export async function removeManagedSave(virsh: Virsh, domain: string): Promise<void> {
  await virsh.run(['managedsave-remove', domain])
}

/** Lets a paused domain run again. */
export async function resumeDomain(virsh: Virsh, domain: string): Promise<void> {
  await virsh.run(['resume', domain])
}

/** Starts a domain that has a managed-save image: libvirt restores the memory instead of booting. */
export async function restoreDomain(virsh: Virsh, domain: string): Promise<void> {
  // Reading the image back takes as long as the disk needs; no deadline (see managedSave).
  await virsh.run(['start', domain], {timeoutMs: undefined})
}
