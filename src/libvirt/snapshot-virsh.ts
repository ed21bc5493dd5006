/**
 * Thin virsh calls for libvirt's domain snapshots. vm takes internal snapshots: they live inside
 * the machine's qcow2 overlay (the raw seed ISO, a read-only cdrom, is left out by libvirt
 * itself), so they go when `vm destroy` deletes the overlay. Options are passed by name
 * (--domain, --snapshotname) so no name or description is ever read as an option.
 */
import {CommandFailedError} from '../exec/runner.js'
import {classifySnapshotError} from './snapshot-parse.js'
import {parseNameList} from './virsh-parse.js'
import type {Virsh} from './virsh.js'

/**
 * Takes an internal snapshot: disk only of a shut-off domain, disk and memory of a running or
 * paused one (QEMU pauses the guest while it writes the memory into the overlay).
 */
export async function createSnapshot(virsh: Virsh, domain: string, name: string, description?: string): Promise<void> {
  const args = ['snapshot-create-as', '--domain', domain, '--name', name, ...(description ? ['--description', description] : []), '--atomic']
  // Writing the memory takes as long as the disk needs (about 1 s per GiB here): no deadline.
  await virsh.run(args, {timeoutMs: undefined})
}

/** The domain's snapshot names, or undefined when there is no such domain. */
export async function listSnapshotNames(virsh: Virsh, domain: string): Promise<string[] | undefined> {
  const out = await virsh.query(['snapshot-list', '--domain', domain, '--name'])
  return out === undefined ? undefined : parseNameList(out)
}

/** The snapshot's XML, or undefined when the domain or the snapshot does not exist. */
export async function snapshotXml(virsh: Virsh, domain: string, name: string): Promise<string | undefined> {
  return virsh.query(['snapshot-dumpxml', '--domain', domain, '--snapshotname', name])
}

/** The name of the snapshot the domain was last saved to or restored from; undefined when none. */
export async function currentSnapshotName(virsh: Virsh, domain: string): Promise<string | undefined> {
  try {
    const name = (await virsh.run(['snapshot-current', '--domain', domain, '--name'])).trim()
    return name === '' ? undefined : name
  } catch (error) {
    // A domain without a current snapshot is an error to virsh, but an ordinary answer here.
    if (error instanceof CommandFailedError && classifySnapshotError(error.result.stderr).kind === 'no-current') return undefined
    throw error
  }
}

/**
 * Brings the domain back to the snapshot: disk, memory and the domain definition it had then.
 * libvirt 9.0 restarts QEMU with -loadvm for a running snapshot and leaves the domain in the
 * snapshot's state (running, paused or shut off).
 */
export async function revertSnapshot(virsh: Virsh, domain: string, name: string): Promise<void> {
  await virsh.run(['snapshot-revert', '--domain', domain, '--snapshotname', name], {timeoutMs: undefined})
}

/** Deletes the snapshot; libvirt attaches its children to its parent. */
export async function deleteSnapshot(virsh: Virsh, domain: string, name: string): Promise<void> {
  await virsh.run(['snapshot-delete', '--domain', domain, '--snapshotname', name])
}
