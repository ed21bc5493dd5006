/**
 * Decodes one 512-byte tar header block: POSIX ustar, GNU (old GNU sparse included) and v7. Pure.
 * Layouts: POSIX.1-1988 ustar and GNU tar's manual ("Basic Tar Format", "GNU Sparse Formats").
 */

export const BLOCK = 512

export type HeaderBlock = {
  /** The name, with the ustar prefix joined in; pax and GNU long names override it later. */
  readonly name: string
  readonly size: number
  readonly typeflag: string
  readonly linkname: string
  /** Old GNU sparse ('S'): more sparse map blocks follow this header. */
  readonly isExtended: boolean
  /** Old GNU sparse ('S'): the file's full length; size is only its stored data. */
  readonly realSize?: number
}

export class TarFormatError extends Error {}

/** undefined for an all-zero block (the end of the archive); throws TarFormatError for a damaged one. */
export function parseHeaderBlock(block: Buffer): HeaderBlock | undefined {
  if (block.length !== BLOCK) throw new TarFormatError('the archive ends in the middle of a header')
  if (block.every((byte) => byte === 0)) return undefined
  if (!checksumMatches(block)) throw new TarFormatError('a header checksum does not match (damaged, or not a tar archive)')
  const magic = block.subarray(257, 265).toString('latin1')
  const gnu = magic === 'ustar  \0'
  const posix = magic.startsWith('ustar\0')
  const typeflag = block.subarray(156, 157).toString('latin1').replace('\0', '0')
  const size = decodeNumber(block.subarray(124, 136), 'size')
  let name = text(block.subarray(0, 100))
  // Only POSIX ustar has the prefix field; GNU headers keep times and sparse maps there.
  const prefix = posix ? text(block.subarray(345, 500)) : ''
  if (prefix) name = `${prefix}/${name}`
  const sparse = gnu && typeflag === 'S'
  return {
    name,
    size,
    typeflag,
    linkname: text(block.subarray(157, 257)),
    isExtended: sparse && block[482] !== 0,
    ...(sparse ? {realSize: decodeNumber(block.subarray(483, 495), 'real size')} : {}),
  }
}

/** An old GNU sparse extension block: is yet another one following it? */
export function extensionContinues(block: Buffer): boolean {
  if (block.length !== BLOCK) throw new TarFormatError('the archive ends in the middle of a sparse map')
  return block[504] !== 0
}

/** Bytes a member's data occupies in the archive: whole blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK
}

/**
 * A numeric field: octal digits (space or NUL terminated), or GNU's base-256 form (first byte's
 * high bit set) that sizes over 8 GiB need. Throws TarFormatError on anything else.
 */
export function decodeNumber(field: Buffer, what: string): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    if (field[0] === 0xff) throw new TarFormatError(`a header has a negative ${what}`)
    let value = BigInt(field[0]! & 0x7f)
    for (const byte of field.subarray(1)) value = (value << 8n) | BigInt(byte)
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarFormatError(`a header has an impossibly large ${what}`)
    return Number(value)
  }
  const digits = field.toString('latin1').replace(/\0.*$/s, '').trim()
  if (digits === '') return 0
  if (!/^[0-7]+$/.test(digits)) throw new TarFormatError(`a header has a malformed ${what} (${JSON.stringify(digits)})`)
  return parseInt(digits, 8)
}

function checksumMatches(block: Buffer): boolean {
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  let stored: number
  try {
    stored = decodeNumber(block.subarray(148, 156), 'checksum')
  } catch {
    return false
  }
  // Some old tars summed signed bytes; GNU tar accepts both, and so does this.
  return stored === unsigned || stored === signed
}

/** A NUL-terminated string field. */
function text(field: Buffer): string {
  const end = field.indexOf(0)
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8')
}
