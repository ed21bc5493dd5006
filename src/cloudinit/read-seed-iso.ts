/**
 * Reads back the files of a seed ISO written by renderIso9660 (./iso9660/): the Primary Volume
 * Descriptor, the root folder's records, and each file's single extent. Names come from Rock
 * Ridge NM entries (following SUSP continuation areas), which hold the names as given; without
 * one, from the level 1 identifier (`USER_DAT.;1` → `user_dat`). Subfolders and the Joliet tree
 * are not read: a seed is one flat folder, and Rock Ridge already has the real names.
 *
 * Every offset and length comes from the image, so each is checked against the image's size
 * before use: a damaged or foreign image is refused with SEED_UNREADABLE, never read out of bounds.
 * Clause numbers refer to ECMA-119 (ISO 9660), SUSP 1.12 and RRIP 1.09, as in ./iso9660/.
 */
import {VmError} from '../errors.js'
import {concat, dataView} from './iso9660/bytes.js'

const SECTOR_SIZE = 2048
const PRIMARY_DESCRIPTOR_SECTOR = 16
/** 9.1: the fixed part of a directory record plus a one-byte identifier. */
const MIN_RECORD_LENGTH = 34
const FLAG_DIRECTORY = 0x02
const FLAG_MULTI_EXTENT = 0x80
/** A chain of continuation areas longer than this is a loop, not a name. */
const MAX_CONTINUATIONS = 16

/** The seed's files by name, their contents decoded as UTF-8. */
export function parseSeedIso(bytes: Uint8Array): Map<string, string> {
  const image = new Image(bytes)
  const descriptor = image.read(PRIMARY_DESCRIPTOR_SECTOR * SECTOR_SIZE, SECTOR_SIZE, 'the primary volume descriptor')
  // 8.4.1-8.4.3: type 1, "CD001", version 1.
  if (descriptor[0] !== 1 || ascii(descriptor.subarray(1, 6)) !== 'CD001' || descriptor[6] !== 1) {
    throw unreadable('there is no ISO 9660 primary volume descriptor at sector 16')
  }
  const blockSize = le16(descriptor, 128) // 8.4.12
  if (blockSize !== SECTOR_SIZE) throw unreadable(`its logical block size is ${blockSize} bytes, not ${SECTOR_SIZE}`)
  const volumeBlocks = le32(descriptor, 80) // 8.4.8
  if (volumeBlocks * SECTOR_SIZE > bytes.length) {
    throw unreadable(`it is truncated: ${bytes.length} bytes of the ${volumeBlocks * SECTOR_SIZE} its descriptor records`)
  }
  const root = descriptor.subarray(156, 156 + MIN_RECORD_LENGTH) // 8.4.18
  const folder = image.read(le32(root, 2) * SECTOR_SIZE, le32(root, 10), 'the root folder')

  const files = new Map<string, string>()
  for (const record of directoryRecords(folder)) {
    const identifierLength = record[32]!
    if (MIN_RECORD_LENGTH - 1 + identifierLength > record.length) throw unreadable('a folder record is shorter than its name')
    const identifier = record.subarray(33, 33 + identifierLength)
    // 6.8.2.2: the records for the folder itself and its parent.
    if (identifierLength === 1 && identifier[0]! <= 1) continue
    const flags = record[25]!
    if (flags & FLAG_DIRECTORY) continue
    if (flags & FLAG_MULTI_EXTENT) throw unreadable('a file is recorded in several extents')
    // 9.1.12-9.1.13: a padding byte follows an even-length identifier, then the System Use field.
    const systemUse = record.subarray(33 + identifierLength + (identifierLength % 2 === 0 ? 1 : 0))
    const name = rockRidgeName(systemUse, image) ?? isoName(identifier)
    if (files.has(name)) throw unreadable(`the name ${JSON.stringify(name)} is recorded twice`)
    const data = image.read(le32(record, 2) * SECTOR_SIZE, le32(record, 10), `the file ${JSON.stringify(name)}`)
    files.set(name, utf8(data, `the file ${JSON.stringify(name)}`))
  }
  return files
}

/** The image's bytes, handed out only in ranges that lie inside it. */
class Image {
  constructor(private readonly bytes: Uint8Array) {}

  read(offset: number, length: number, what: string): Uint8Array {
    if (offset + length > this.bytes.length) throw unreadable(`${what} lies outside the image`)
    return this.bytes.subarray(offset, offset + length)
  }
}

/** 6.8.1.1: records never cross a sector; a zero length byte pads the rest of a sector. */
function* directoryRecords(folder: Uint8Array): Generator<Uint8Array> {
  for (let sector = 0; sector < folder.length; sector += SECTOR_SIZE) {
    const end = Math.min(sector + SECTOR_SIZE, folder.length)
    let offset = sector
    while (offset < end) {
      const length = folder[offset]!
      if (length === 0) break
      if (length < MIN_RECORD_LENGTH || offset + length > end) throw unreadable('a folder record has an impossible length')
      yield folder.subarray(offset, offset + length)
      offset += length
    }
  }
}

/**
 * The name in a record's NM entries (RRIP 4.1.4), parts joined in order, following CE entries
 * (SUSP 5.1) into continuation areas; undefined when there is no NM entry.
 */
function rockRidgeName(systemUse: Uint8Array, image: Image): string | undefined {
  const parts: Uint8Array[] = []
  let area: Uint8Array | undefined = systemUse
  for (let hops = 0; area !== undefined; hops++) {
    if (hops > MAX_CONTINUATIONS) throw unreadable('Rock Ridge continuation areas form a loop')
    let next: Uint8Array | undefined
    // SUSP 4.1: signature (2 bytes), length, version, data. Fewer than 4 bytes left is padding.
    for (let offset = 0; offset + 4 <= area.length; ) {
      const signature = ascii(area.subarray(offset, offset + 2))
      const length = area[offset + 2]!
      if (length < 4 || offset + length > area.length) throw unreadable('a Rock Ridge entry has an impossible length')
      const entry = area.subarray(offset, offset + length)
      offset += length
      if (signature === 'ST') break // SUSP 5.4: the end of the entries
      if (signature === 'NM') parts.push(entry.subarray(5)) // after the flags byte
      if (signature === 'CE') {
        if (length < 28) throw unreadable('a Rock Ridge continuation entry is too short')
        next = image.read(le32(entry, 4) * SECTOR_SIZE + le32(entry, 12), le32(entry, 20), 'a Rock Ridge continuation area')
      }
    }
    area = next
  }
  if (parts.length === 0) return undefined
  return utf8(concat(parts), 'a Rock Ridge name')
}

/** 7.5.1: `NAME.EXT;1` → `name.ext`, `NAME.;1` → `name`. */
function isoName(identifier: Uint8Array): string {
  return ascii(identifier).replace(/;\d+$/, '').replace(/\.$/, '').toLowerCase()
}

function le16(bytes: Uint8Array, offset: number): number {
  return dataView(bytes).getUint16(offset, true)
}

function le32(bytes: Uint8Array, offset: number): number {
  return dataView(bytes).getUint32(offset, true)
}

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes)
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(bytes)
  } catch {
    throw unreadable(`${what} is not UTF-8 text`)
  }
}

function unreadable(reason: string): VmError {
  return new VmError(`Cannot read the seed ISO: ${reason}.`, {code: 'SEED_UNREADABLE'})
}
