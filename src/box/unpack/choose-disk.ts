import {isRegular, normaliseName, quote, type TarMember} from './tar-members.js'
import {checkVagrantMetadata, VAGRANT_METADATA} from './vagrant-box.js'

/**
 * Picks the one member of a checked tarball that is the disk image. Pure.
 *
 * A Vagrant box (it has a metadata.json at the top) must be a libvirt box and yields its box.img;
 * any other tarball must hold exactly one member that looks like a disk by its name: Debian's
 * cloud tarballs hold "disk.raw", others "*.img", "*.raw" or "*.qcow2". Names only choose the member;
 * its content is sniffed afterwards like any download.
 */
export type DiskChoice<M extends TarMember = TarMember> =
  | {readonly member: M; readonly vagrant: boolean}
  | {readonly problem: string}

const DISK_NAME = /\.(raw|img|qcow2)$/i

export function chooseDisk<M extends TarMember>(members: readonly M[], metadataJson: string | undefined): DiskChoice<M> {
  const files = members.filter(isRegular)
  const named = (name: string) => files.filter((m) => normaliseName(m.realPath) === normaliseName(name))
  const duplicates = (name: string, found: readonly M[]) =>
    `the archive holds ${quote(name)} ${found.length} times, and the copies could differ`

  const metadata = named(VAGRANT_METADATA)
  if (metadata.length > 1) return {problem: duplicates(VAGRANT_METADATA, metadata)}
  if (metadata.length === 1) {
    if (metadataJson === undefined) return {problem: `its ${VAGRANT_METADATA} is too large to be Vagrant metadata`}
    const verdict = checkVagrantMetadata(metadataJson)
    if ('problem' in verdict) return verdict
    const found = named(verdict.disk)
    if (found.length === 0) return {problem: `it is a Vagrant libvirt box without its disk ${quote(verdict.disk)}`}
    if (found.length > 1) return {problem: duplicates(verdict.disk, found)}
    return {member: found[0]!, vagrant: true}
  }

  const disks = files.filter((m) => DISK_NAME.test(m.realPath))
  if (disks.length === 1) return {member: disks[0]!, vagrant: false}
  const listing = files.map((m) => quote(normaliseName(m.realPath))).join(', ') || 'no files'
  if (disks.length === 0) return {problem: `the archive holds no disk image (*.raw, *.img or *.qcow2), only ${listing}`}
  return {
    problem: `the archive holds ${disks.length} disk images (${disks.map((m) => quote(normaliseName(m.realPath))).join(', ')}) and vm cannot tell which one to boot`,
  }
}
