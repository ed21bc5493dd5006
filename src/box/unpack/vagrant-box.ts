/**
 * Vagrant boxes: a tarball with metadata.json, a Vagrantfile, and the provider's files. Only the
 * libvirt provider's box holds a qcow2 vm can boot ("box.img"; vagrant-libvirt ≥ 0.12 may name its
 * disks in metadata.json). Pure.
 */

/** The member that marks a tarball as a Vagrant box. */
export const VAGRANT_METADATA = 'metadata.json'

/** Members vm knows and leaves alone in a Vagrant box. */
export const VAGRANT_IGNORED = new Set(['Vagrantfile', 'info.json'])

/** The most metadata.json vm reads; real ones are a few hundred bytes. */
export const VAGRANT_METADATA_LIMIT = 64 * 1024

export type VagrantVerdict = {readonly disk: string} | {readonly problem: string}

/** Reads metadata.json: which member is the disk, or why the box is not one vm can use. */
export function checkVagrantMetadata(text: string): VagrantVerdict {
  let metadata: unknown
  try {
    metadata = JSON.parse(text)
  } catch {
    return {problem: 'it is a Vagrant box whose metadata.json is not valid JSON'}
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return {problem: 'it is a Vagrant box whose metadata.json is not a JSON object'}
  }
  const {provider, format, disks} = metadata as Record<string, unknown>
  if (provider !== undefined && provider !== 'libvirt') {
    return {problem: `it is a Vagrant box for the ${JSON.stringify(provider)} provider; vm boots only libvirt boxes (qcow2)`}
  }
  if (format !== undefined && format !== 'qcow2') {
    return {problem: `it is a Vagrant libvirt box whose metadata.json says format ${JSON.stringify(format)}; vm needs qcow2`}
  }
  if (disks === undefined) return {disk: 'box.img'}
  if (!Array.isArray(disks) || disks.length === 0) return {problem: 'it is a Vagrant box whose metadata.json lists no disks'}
  if (disks.length > 1) return {problem: `it is a Vagrant box with ${disks.length} disks; vm uses boxes with one disk`}
  const [disk] = disks as unknown[]
  const path = (disk as {path?: unknown} | null)?.path
  if (path === undefined) return {disk: 'box.img'}
  if (typeof path !== 'string' || path === '') return {problem: 'it is a Vagrant box whose metadata.json names its disk with no file name'}
  const format1 = (disk as {format?: unknown}).format
  if (format1 !== undefined && format1 !== 'qcow2') {
    return {problem: `it is a Vagrant box whose disk ${JSON.stringify(path)} has format ${JSON.stringify(format1)}; vm needs qcow2`}
  }
  return {disk: path}
}
