import {COMPRESSION_SUFFIX, type Compression} from './sniff.js'

/**
 * Names what a box was made from, the way people name such files: "qcow2", "raw.xz", "qcow2.gz.xz",
 * "tar.xz:disk.raw", "vagrant-box(tar.gz):box.img"; a disk compressed again inside a tarball shows as
 * "tar:disk.img(raw.gz)". CONTAINER is the tarball part once one was opened; COMPRESSIONS, outermost
 * first, are those met since. Pure.
 */
export function renderSourceFormat(container: string | undefined, format: string, compressions: readonly Compression[]): string {
  const own = [format, ...[...compressions].reverse().map((c) => COMPRESSION_SUFFIX[c])].join('.')
  if (container === undefined) return own
  return compressions.length === 0 ? container : `${container}(${own})`
}
