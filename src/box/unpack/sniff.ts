/**
 * Tells what a file holds from its first and last bytes, never from its name: a box URL may say
 * ".img" for a qcow2 or ".box" for a plain tarball, and only the content decides how QEMU reads it.
 * Pure.
 */

export type Compression = 'xz' | 'gzip' | 'zstd'

export type Content =
  | {readonly type: 'compressed'; readonly compression: Compression}
  | {readonly type: 'tar'}
  | {readonly type: 'qcow2'}
  /** Nothing recognised: QEMU would read it as a raw disk too. */
  | {readonly type: 'raw'}
  /** Recognised but not usable as a box: another disk format, a compression vm does not unpack, a web page. */
  | {readonly type: 'foreign'; readonly name: string}

/** How many bytes sniff() wants from the start and from the end of the file. */
export const HEAD_BYTES = 4096
export const TAIL_BYTES = 512

/** The file-name suffix people know each compression by, for messages such as "raw.xz". */
export const COMPRESSION_SUFFIX: Record<Compression, string> = {xz: 'xz', gzip: 'gz', zstd: 'zst'}

type Magic = {readonly offset: number; readonly bytes: Buffer; readonly content: Content}

const magic = (offset: number, bytes: string | number[], content: Content): Magic => ({
  offset,
  bytes: typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes),
  content,
})
const foreign = (name: string): Content => ({type: 'foreign', name})

/*
 * Every format QEMU 7.2 would recognise when probing (the block drivers with a probe function:
 * bochs, cloop, dmg, luks, parallels, qcow, qcow2, qed, vdi, vhdx, vmdk, vpc) is listed here, so
 * that calling the rest "raw" agrees with what QEMU would do; the tests compare with qemu-img.
 */
const MAGICS: readonly Magic[] = [
  magic(0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], {type: 'compressed', compression: 'xz'}),
  magic(0, [0x1f, 0x8b], {type: 'compressed', compression: 'gzip'}),
  magic(0, [0x28, 0xb5, 0x2f, 0xfd], {type: 'compressed', compression: 'zstd'}),
  magic(0, 'BZh', foreign('bzip2-compressed data')),
  magic(0, [0x04, 0x22, 0x4d, 0x18], foreign('lz4-compressed data')),
  magic(0, 'LZIP', foreign('lzip-compressed data')),
  magic(0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], foreign('a 7-Zip archive')),
  magic(0, [0x50, 0x4b, 0x03, 0x04], foreign('a zip archive')),
  magic(257, 'ustar', {type: 'tar'}),
  magic(0, 'QED\0', foreign('a QED image')),
  magic(0, 'KDMV', foreign('a VMDK image')),
  magic(0, 'COWD', foreign('a VMDK image (ESX)')),
  magic(0, '# Disk DescriptorFile', foreign('a VMDK descriptor')),
  magic(0, 'vhdxfile', foreign('a VHDX image')),
  magic(0, 'conectix', foreign('a VHD (vpc) image')),
  magic(0x40, [0x7f, 0x10, 0xda, 0xbe], foreign('a VDI (VirtualBox) image')),
  magic(0, [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe], foreign('a LUKS-encrypted image')),
  magic(0, 'WithoutFreeSpace', foreign('a Parallels image')),
  magic(0, 'WithouFreSpacExt', foreign('a Parallels image')),
  magic(0, 'Bochs Virtual HD Image', foreign('a Bochs image')),
  magic(0, '#!/bin/sh\n#V2.0 Format\nmodprobe cloop', foreign('a cloop image')),
]

const QCOW_MAGIC = Buffer.from('QFI\xfb', 'latin1')

/** HEAD: the file's first HEAD_BYTES (fewer for a small file); TAIL: its last TAIL_BYTES. */
export function sniff(head: Buffer, tail: Buffer = Buffer.alloc(0)): Content {
  if (startsWith(head, 0, QCOW_MAGIC)) {
    // qcow (version 1) shares the magic; only the version field tells them apart.
    const version = head.length >= 8 ? head.readUInt32BE(4) : 0
    return version === 2 || version === 3 ? {type: 'qcow2'} : foreign(version === 1 ? 'a qcow (version 1) image' : `a qcow image of unknown version ${version}`)
  }
  for (const m of MAGICS) if (startsWith(head, m.offset, m.bytes)) return m.content
  // Apple's UDIF (.dmg) keeps its "koly" trailer in the last 512 bytes.
  if (tail.length === TAIL_BYTES && startsWith(tail, 0, Buffer.from('koly'))) return foreign('an Apple disk image (dmg)')
  // A VMDK descriptor need not start with its comment line; QEMU looks for these keys.
  const text = head.subarray(0, 1024).toString('latin1')
  if (/^version=[123]\s*$/m.test(text) && /^createType=/m.test(text)) return foreign('a VMDK descriptor')
  // A download that went to an error or login page: say so instead of calling it a raw disk.
  if (/^\s*<(!doctype html|html|\?xml)/i.test(text.replace(/^\u00ef\u00bb\u00bf/, ''))) return foreign('a web page or XML document')
  return {type: 'raw'}
}

function startsWith(buffer: Buffer, offset: number, bytes: Buffer): boolean {
  return buffer.length >= offset + bytes.length && buffer.subarray(offset, offset + bytes.length).equals(bytes)
}
