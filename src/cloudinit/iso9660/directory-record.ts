/** Directory records (9.1): the fixed 33 bytes, the file identifier, then the System Use field. */
import {putBoth16, putBoth32} from './bytes.js'

/** 9.1.1: the record length is one byte. */
export const MAX_RECORD_LENGTH = 255
/** 9.1: the fixed part of a directory record, up to the file identifier. */
const RECORD_HEADER_LENGTH = 33

/** What one directory record says. */
export type DirectoryRecordFields = {
  readonly identifier: Uint8Array
  readonly extent: number
  readonly dataLength: number
  readonly directory: boolean
  /** 9.1.5, from recordingDate(). */
  readonly recorded: Uint8Array
  readonly systemUse: Uint8Array
}

/** 9.1.12: a padding byte follows an even-length identifier, so the System Use field starts even. */
export function systemUseOffset(identifierLength: number): number {
  return RECORD_HEADER_LENGTH + identifierLength + (identifierLength % 2 === 0 ? 1 : 0)
}

/** The whole record, kept even (as mkisofs and libisofs do) so the next record starts even too. */
export function recordLength(identifierLength: number, systemUseLength: number): number {
  const length = systemUseOffset(identifierLength) + systemUseLength
  return length + (length % 2)
}

/** The record's bytes; a record longer than 255 bytes is a bug in the caller. */
export function directoryRecord(fields: DirectoryRecordFields): Uint8Array {
  const length = recordLength(fields.identifier.length, fields.systemUse.length)
  if (length > MAX_RECORD_LENGTH) throw new Error(`Internal error: a ${length}-byte ISO directory record.`)
  const record = new Uint8Array(length)
  record[0] = length // 9.1.1
  record[1] = 0 // 9.1.2: no extended attribute record
  putBoth32(record, 2, fields.extent) // 9.1.3
  putBoth32(record, 10, fields.dataLength) // 9.1.4
  record.set(fields.recorded, 18) // 9.1.5
  record[25] = fields.directory ? 0x02 : 0x00 // 9.1.6: file flags, bit 1 = directory
  record[26] = 0 // 9.1.7: not interleaved
  record[27] = 0 // 9.1.8
  putBoth16(record, 28, 1) // 9.1.9: volume sequence number
  record[32] = fields.identifier.length // 9.1.10
  record.set(fields.identifier, 33) // 9.1.11
  record.set(fields.systemUse, systemUseOffset(fields.identifier.length)) // 9.1.13
  return record
}

/** 8.4.18: the root's record in a volume descriptor is the 34-byte `.` record without System Use. */
export function rootRecordForDescriptor(extent: number, dataLength: number, recorded: Uint8Array): Uint8Array {
  return directoryRecord({identifier: Uint8Array.of(0), extent, dataLength, directory: true, recorded, systemUse: new Uint8Array(0)})
}
