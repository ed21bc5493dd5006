/** Volume descriptors (8): primary, Joliet supplementary and terminator; and the path tables (9.4). */
import {ascii, dataView, putBoth16, putBoth32, putLsb32, putMsb32} from './bytes.js'
import {volumeDate} from './dates.js'
import {ucs2} from './names.js'
import {SECTOR_SIZE} from './sectors.js'

/** 8.5.6: escape sequences that mark a Joliet descriptor; `%/E` is UCS-2 level 3. */
export const JOLIET_ESCAPES = Uint8Array.of(0x25, 0x2f, 0x45)

/**
 * 8.4.6 gives the volume identifier 32 bytes, room for 32 d-characters in the primary descriptor,
 * but in the Joliet descriptor the same 32 bytes hold only 16 UCS-2 characters.
 */
export const JOLIET_VOLUME_ID_LENGTH = 16

/** The fields in which a primary and a supplementary descriptor differ, or that depend on the image. */
export type VolumeDescriptorFields = {
  /** 8.4.1: 1 = primary, 2 = supplementary. */
  readonly type: 1 | 2
  /** How identifiers are written: a-/d-characters for the primary, UCS-2 for Joliet. */
  readonly text: (bytes: Uint8Array, offset: number, length: number, value: string) => void
  readonly volumeId: string
  readonly escapeSequences: Uint8Array
  readonly volumeSpaceSize: number
  readonly pathTableSize: number
  readonly pathTableL: number
  readonly pathTableM: number
  readonly rootRecord: Uint8Array
  readonly modified: Date
}

/** 8.4 (primary) and 8.5 (supplementary) share one layout; the Joliet one adds escape sequences. */
export function writeVolumeDescriptor(sector: Uint8Array, fields: VolumeDescriptorFields): void {
  writeDescriptorHeader(sector, fields.type)
  sector[7] = 0 // 8.4.4 unused / 8.5.3 volume flags: escape sequences are all ISO 2375 registered
  fields.text(sector, 8, 32, '') // 8.4.5 system identifier
  fields.text(sector, 40, 32, fields.volumeId) // 8.4.6
  putBoth32(sector, 80, fields.volumeSpaceSize) // 8.4.8
  sector.set(fields.escapeSequences, 88) // 8.5.6 (zeros in the primary)
  putBoth16(sector, 120, 1) // 8.4.10 volume set size
  putBoth16(sector, 124, 1) // 8.4.11 volume sequence number
  putBoth16(sector, 128, SECTOR_SIZE) // 8.4.12 logical block size
  putBoth32(sector, 132, fields.pathTableSize) // 8.4.13
  putLsb32(sector, 140, fields.pathTableL) // 8.4.14; 8.4.15, the optional copy, stays 0
  putMsb32(sector, 148, fields.pathTableM) // 8.4.16; 8.4.17 likewise
  sector.set(fields.rootRecord, 156) // 8.4.18
  fields.text(sector, 190, 128, '') // 8.4.19 volume set identifier
  fields.text(sector, 318, 128, '') // 8.4.20 publisher
  fields.text(sector, 446, 128, '') // 8.4.21 data preparer
  fields.text(sector, 574, 128, '') // 8.4.22 application
  fields.text(sector, 702, 37, '') // 8.4.23 copyright file
  fields.text(sector, 739, 37, '') // 8.4.24 abstract file
  fields.text(sector, 776, 37, '') // 8.4.25 bibliographic file
  sector.set(volumeDate(fields.modified), 813) // 8.4.26 creation
  sector.set(volumeDate(fields.modified), 830) // 8.4.27 modification
  sector.set(volumeDate(undefined), 847) // 8.4.28 expiration: never
  sector.set(volumeDate(fields.modified), 864) // 8.4.29 effective
  sector[881] = 1 // 8.4.30 file structure version
}

/** 8.3: the terminator is just the common header with type 255. */
export function writeTerminator(sector: Uint8Array): void {
  writeDescriptorHeader(sector, 255)
}

/** 8.1: type, standard identifier `CD001`, version 1. */
function writeDescriptorHeader(sector: Uint8Array, type: number): void {
  sector[0] = type
  sector.set(ascii('CD001'), 1)
  sector[6] = 1
}

/** a- and d-character fields are padded on the right with spaces (8.4.5 and on). Callers pass ASCII. */
export function putAText(bytes: Uint8Array, offset: number, length: number, value: string): void {
  bytes.set(ascii(value.padEnd(length, ' ').slice(0, length)), offset)
}

/**
 * Joliet writes descriptor text as UCS-2 big-endian padded with UCS-2 spaces; an odd-length field
 * (the 37-byte file identifiers) ends with one zero byte.
 */
export function putUcs2Text(bytes: Uint8Array, offset: number, length: number, value: string): void {
  const units = Math.floor(length / 2)
  bytes.set(ucs2(value.padEnd(units, ' ').slice(0, units)), offset)
  if (length % 2 === 1) bytes[offset + length - 1] = 0
}

/**
 * 9.4: writes the single-entry path tables (type L little-endian, type M big-endian) of a tree
 * whose only directory is the root, and returns their size in bytes.
 */
export function writePathTables(sectorAt: (sector: number) => Uint8Array, root: number, lSector: number, mSector: number): number {
  const entry = (bigEndian: boolean) => {
    const bytes = new Uint8Array(10)
    const view = dataView(bytes)
    bytes[0] = 1 // 9.4.1 length of directory identifier
    bytes[1] = 0 // 9.4.2 no extended attribute record
    view.setUint32(2, root, !bigEndian) // 9.4.3
    view.setUint16(6, 1, !bigEndian) // 9.4.4 the root is its own parent, directory number 1
    bytes[8] = 0 // 9.4.5 the root's identifier; byte 9 pads to even (9.4.6)
    return bytes
  }
  sectorAt(lSector).set(entry(false))
  sectorAt(mSector).set(entry(true))
  return 10
}
