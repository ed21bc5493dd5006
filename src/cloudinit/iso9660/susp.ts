/**
 * System Use Sharing Protocol (SUSP 1.12) and Rock Ridge (RRIP 1.09) entries, and how a record's
 * entries are split between its System Use field and the continuation area.
 */
import {ascii, concat, putBoth32} from './bytes.js'
import {MAX_RECORD_LENGTH, recordLength, systemUseOffset} from './directory-record.js'
import {SECTOR_SIZE} from './sectors.js'

/** SUSP 5.1: the CE entry is 28 bytes. */
const CE_LENGTH = 28

/**
 * RRIP 1.09 fixes the identifier, descriptor and source texts of the ER entry that
 * declares Rock Ridge; Linux only trusts Rock Ridge on a volume whose root holds an ER entry.
 */
const RRIP_ID = 'RRIP_1991A'
const RRIP_DESCRIPTOR = 'THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS'
const RRIP_SOURCE =
  'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.'

/** A record's System Use entries, split into what stays in the record and what continues elsewhere. */
export type SystemUse = {
  /** Entries kept in the directory record, plus room for a CE entry when there is overflow. */
  readonly inline: Uint8Array
  readonly inlineLength: number
  /** Entries moved to the continuation area (SUSP 5.1); empty when everything fits. */
  readonly overflow: Uint8Array
}

/** An empty System Use field, as in the Joliet tree. */
export const NO_SYSTEM_USE: SystemUse = {inline: new Uint8Array(0), inlineLength: 0, overflow: new Uint8Array(0)}

/**
 * Keeps entries in the record, in order, while they fit in its 255 bytes; the rest go to a
 * continuation area, and a CE entry (added when the location is known) points there. The root's
 * ER entry alone is 237 bytes, so the root's `.` record always continues.
 */
export function systemUse(identifierLength: number, entries: readonly Uint8Array[]): SystemUse {
  const base = systemUseOffset(identifierLength)
  const total = entries.reduce((sum, entry) => sum + entry.length, 0)
  if (recordLength(identifierLength, total) <= MAX_RECORD_LENGTH) {
    return {inline: concat(entries), inlineLength: total, overflow: new Uint8Array(0)}
  }
  let kept = 0
  let used = 0
  while (kept < entries.length && base + used + entries[kept]!.length + CE_LENGTH <= MAX_RECORD_LENGTH) {
    used += entries[kept]!.length
    kept++
  }
  const overflow = concat(entries.slice(kept))
  if (overflow.length > SECTOR_SIZE) throw new Error('Internal error: Rock Ridge entries longer than a sector.')
  return {inline: concat(entries.slice(0, kept)), inlineLength: used + CE_LENGTH, overflow}
}

/** SUSP 4.1: signature (2 bytes), length, version, then the entry's data. */
function suspEntry(signature: string, data: Uint8Array): Uint8Array {
  const entry = new Uint8Array(4 + data.length)
  entry.set(ascii(signature), 0)
  entry[2] = entry.length
  entry[3] = 1
  entry.set(data, 4)
  return entry
}

/** SUSP 5.3: SP opens the root's `.` record and says SUSP is in use; no bytes are skipped. */
export function spEntry(): Uint8Array {
  return suspEntry('SP', Uint8Array.of(0xbe, 0xef, 0))
}

/** SUSP 5.1: CE points at the rest of a record's entries: block, offset and length, both-endian. */
export function ceEntry(block: number, offset: number, length: number): Uint8Array {
  const data = new Uint8Array(24)
  putBoth32(data, 0, block)
  putBoth32(data, 8, offset)
  putBoth32(data, 16, length)
  return suspEntry('CE', data)
}

/** SUSP 5.5: ER names the extension in use (Rock Ridge, RRIP 1.09 section 5), version 1. */
export function erEntry(): Uint8Array {
  const id = ascii(RRIP_ID)
  const descriptor = ascii(RRIP_DESCRIPTOR)
  const source = ascii(RRIP_SOURCE)
  return suspEntry('ER', concat([Uint8Array.of(id.length, descriptor.length, source.length, 1), id, descriptor, source]))
}

/**
 * RRIP 4.1.1: PX holds mode, link count, uid and gid, each both-endian. RRIP 1.09 ends there
 * (36 bytes); the serial number field came with RRIP 1.12, which our ER does not claim.
 */
export function pxEntry(mode: number, links: number): Uint8Array {
  const data = new Uint8Array(32)
  putBoth32(data, 0, mode)
  putBoth32(data, 8, links)
  putBoth32(data, 16, 0) // uid root
  putBoth32(data, 24, 0) // gid root
  return suspEntry('PX', data)
}

/**
 * RRIP 4.1.6: TF with modification, access and attribute-change times in the 7-byte form of
 * 9.1.5 (Linux reads only that short form).
 */
export function tfEntry(recorded: Uint8Array): Uint8Array {
  const MODIFY = 0x02
  const ACCESS = 0x04
  const ATTRIBUTES = 0x08
  return suspEntry('TF', concat([Uint8Array.of(MODIFY | ACCESS | ATTRIBUTES), recorded, recorded, recorded]))
}

/** RRIP 4.1.4: NM holds the name as the POSIX side sees it; flags 0 = complete in this entry. */
export function nmEntry(name: string): Uint8Array {
  return suspEntry('NM', concat([Uint8Array.of(0), new TextEncoder().encode(name)]))
}
