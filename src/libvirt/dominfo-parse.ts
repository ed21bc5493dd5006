/**
 * Reads `virsh dominfo` (LC_ALL=C, libvirt 9.0). Pure.
 *
 * A managed-saved domain is "shut off" to `virsh domstate`; only its reason ("saved", with
 * --reason) hints at the image, and libvirt keeps that reason in memory only. dominfo's
 * "Managed save" line asks libvirt whether the save image exists, so it is the one to trust.
 */
import {parseKeyValues} from './virsh-parse.js'

/**
 * Whether dominfo reports a managed-save image. virsh prints "yes", "no", or "unknown" when it
 * could not ask; only "yes" counts, so a machine is never shown suspended on a guess.
 */
export function parseManagedSave(dominfo: string): boolean {
  return parseKeyValues(dominfo)['Managed save'] === 'yes'
}
