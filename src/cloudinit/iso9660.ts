/**
 * Writes the small ISO 9660 image that carries a cloud-init NoCloud seed (volume label `cidata`),
 * so that vm needs neither genisoimage nor xorriso.
 *
 * The image holds a flat root folder of regular files and names each file three ways:
 * - plain ISO 9660 (ECMA-119 2nd edition, 1987; the clause numbers below refer to it) at
 *   interchange level 1: upper-case 8.3 names such as `USER_DAT.;1`, which every reader
 *   understands and nobody wants to see;
 * - Rock Ridge (RRIP 1.09, "RRIP_1991A", recorded with SUSP): the real names plus POSIX modes and
 *   times. Linux's isofs prefers it over Joliet, so this is what cloud-init sees in the guest;
 * - Joliet (UCS-2 level 3): the real names again, for readers without Rock Ridge.
 * blkid and cloud-init take the volume label from the Primary Volume Descriptor, which (like
 * genisoimage -volid) records it exactly as given.
 *
 * Layout, in 2048-byte logical sectors (each one logical block):
 *   0-15   System Area, all zeros (6.2.1)
 *   16     Primary Volume Descriptor (8.4)
 *   17     Joliet Supplementary Volume Descriptor (8.5)
 *   18     Volume Descriptor Set Terminator (8.3)
 *   19-22  path tables: type L and type M for the primary tree, then for the Joliet tree (9.4)
 *   23-    primary root directory (with Rock Ridge), Joliet root directory, the SUSP continuation
 *          area, one zero block that empty files point at, then the files' extents
 * Nothing depends on the clock or the machine: the caller passes the timestamp, so the same spec
 * always renders the same bytes.
 */
import {constants as bufferConstants} from 'node:buffer'

export type IsoFile = {readonly name: string; readonly data: Uint8Array | string} // string = UTF-8
export type IsoSpec = {readonly volumeId: string; readonly files: readonly IsoFile[]; readonly modified: Date}

const SECTOR_SIZE = 2048
const PRIMARY_DESCRIPTOR_SECTOR = 16
const JOLIET_DESCRIPTOR_SECTOR = 17
const TERMINATOR_SECTOR = 18
const PATH_TABLE_SECTORS = {primaryL: 19, primaryM: 20, jolietL: 21, jolietM: 22} as const
const FIRST_FREE_SECTOR = 23

/** 9.1.1: the record length is one byte. */
const MAX_RECORD_LENGTH = 255
/** 9.1: the fixed part of a directory record, up to the file identifier. */
const RECORD_HEADER_LENGTH = 33
/** 9.1.4: a single extent's data length is a 32-bit number. */
const MAX_FILE_SIZE = 0xffff_ffff
/** Joliet allows 64 UCS-2 characters (128 bytes) in a file identifier. */
const MAX_NAME_LENGTH = 64
/** 8.4.6: the volume identifier field holds 32 d-characters... */
const MAX_VOLUME_ID_LENGTH = 32
/** ...but in the Joliet descriptor the same 32 bytes hold only 16 UCS-2 characters. */
const JOLIET_VOLUME_ID_LENGTH = 16
/** Level 1 (10.1): at most eight d-characters before the dot and three after it. */
const LEVEL1_STEM_LENGTH = 8
const LEVEL1_EXTENSION_LENGTH = 3

/** The medium is read-only, so files and folders say so (what genisoimage -r records too). */
const FILE_MODE = 0o100444
const DIRECTORY_MODE = 0o040555

/** 8.5.6: escape sequences that mark a Joliet descriptor; `%/E` is UCS-2 level 3. */
const JOLIET_ESCAPES = Uint8Array.of(0x25, 0x2f, 0x45)

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

/** Renders a complete ISO 9660 image (Joliet + Rock Ridge) holding the files in its root folder. Pure. */
export function renderIso9660(spec: IsoSpec): Uint8Array {
  checkVolumeId(spec.volumeId)
  checkDate(spec.modified)
  const files = prepareFiles(spec.files)
  const recorded = recordingDate(spec.modified)
  const primary = layOutDirectory(primaryEntries(files, recorded))
  const joliet = layOutDirectory(jolietEntries(files))

  // Sector allocation, in the order of the layout described at the top.
  let next = FIRST_FREE_SECTOR
  const take = (count: number) => {
    const first = next
    next += count
    return first
  }
  const primaryRoot = take(primary.sectors)
  const jolietRoot = take(joliet.sectors)
  const continuation = take(primary.continuationSectors)
  // Empty files still need an extent location (9.1.3); like libisofs, point them all at one zero block.
  const emptyFileSector = files.some((file) => file.data.length === 0) ? take(1) : 0
  const extents = new Map<PreparedFile, number>(
    files.map((file) => [file, file.data.length === 0 ? emptyFileSector : take(sectorsFor(file.data.length))]),
  )
  const totalSectors = next
  if (totalSectors * SECTOR_SIZE > bufferConstants.MAX_LENGTH) {
    throw new Error(
      `The ISO image would be ${totalSectors * SECTOR_SIZE} bytes, more than one buffer can hold (${bufferConstants.MAX_LENGTH}).`,
    )
  }

  const image = new Uint8Array(totalSectors * SECTOR_SIZE)
  const sectorAt = (sector: number) => image.subarray(sector * SECTOR_SIZE, (sector + 1) * SECTOR_SIZE)
  writeDirectory(image, primary, {root: primaryRoot, continuation, extents, recorded})
  writeDirectory(image, joliet, {root: jolietRoot, continuation, extents, recorded})
  for (const [file, extent] of extents) image.set(file.data, extent * SECTOR_SIZE)

  // With a single directory each path table holds only the root's entry (9.4).
  const pathTableSize = writePathTables(sectorAt, primaryRoot, PATH_TABLE_SECTORS.primaryL, PATH_TABLE_SECTORS.primaryM)
  writePathTables(sectorAt, jolietRoot, PATH_TABLE_SECTORS.jolietL, PATH_TABLE_SECTORS.jolietM)

  const common = {volumeSpaceSize: totalSectors, pathTableSize, modified: spec.modified}
  writeVolumeDescriptor(sectorAt(PRIMARY_DESCRIPTOR_SECTOR), {
    ...common,
    type: 1,
    text: putAText,
    volumeId: spec.volumeId,
    escapeSequences: new Uint8Array(0),
    pathTableL: PATH_TABLE_SECTORS.primaryL,
    pathTableM: PATH_TABLE_SECTORS.primaryM,
    rootRecord: rootRecordForDescriptor(primaryRoot, primary.sectors * SECTOR_SIZE, recorded),
  })
  writeVolumeDescriptor(sectorAt(JOLIET_DESCRIPTOR_SECTOR), {
    ...common,
    type: 2,
    text: putUcs2Text,
    volumeId: spec.volumeId.slice(0, JOLIET_VOLUME_ID_LENGTH),
    escapeSequences: JOLIET_ESCAPES,
    pathTableL: PATH_TABLE_SECTORS.jolietL,
    pathTableM: PATH_TABLE_SECTORS.jolietM,
    rootRecord: rootRecordForDescriptor(jolietRoot, joliet.sectors * SECTOR_SIZE, recorded),
  })
  writeTerminator(sectorAt(TERMINATOR_SECTOR))
  return image
}

// ---------------------------------------------------------------------------------------------
// Input

type PreparedFile = {
  /** The name as given: recorded verbatim by Rock Ridge (UTF-8) and Joliet (UCS-2). */
  readonly name: string
  readonly data: Uint8Array
  /** The level 1 identifier, e.g. `USER_DAT.;1`. */
  readonly isoId: string
}

function checkVolumeId(volumeId: string): void {
  if (volumeId.length === 0) throw new Error('The ISO volume id is empty.')
  if (volumeId.length > MAX_VOLUME_ID_LENGTH) {
    throw new Error(`The ISO volume id "${volumeId}" is longer than ${MAX_VOLUME_ID_LENGTH} characters.`)
  }
  // 7.4.1: d-characters are A-Z, 0-9 and _. Like genisoimage -volid we keep the case as given, so
  // blkid reports LABEL=cidata for "cidata" (readers accept lower case there; NoCloud matches
  // the label in either case).
  if (!/^[A-Za-z0-9_]+$/.test(volumeId)) {
    throw new Error(`The ISO volume id "${volumeId}" may only hold letters A-Z, digits and "_" (ISO 9660 d-characters).`)
  }
}

function checkDate(date: Date): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new Error('The ISO modification time is not a valid date.')
  }
  // 9.1.5 records the year as years since 1900 in one byte.
  const year = date.getUTCFullYear()
  if (year < 1900 || year > 2155) {
    throw new Error(`The ISO modification time ${date.toISOString()} is outside the years 1900-2155 that ISO 9660 can record.`)
  }
}

function prepareFiles(files: readonly IsoFile[]): PreparedFile[] {
  const seen = new Set<string>()
  for (const file of files) {
    checkFileName(file.name)
    if (seen.has(file.name)) throw new Error(`The ISO file name "${file.name}" is given more than once.`)
    seen.add(file.name)
  }
  const isoIds = level1Identifiers(files.map((file) => file.name))
  const prepared = files.map((file) => {
    const data = typeof file.data === 'string' ? new TextEncoder().encode(file.data) : file.data
    if (data.length > MAX_FILE_SIZE) {
      throw new Error(`The ISO file "${file.name}" is ${data.length} bytes; ISO 9660 holds at most ${MAX_FILE_SIZE} bytes (4 GiB - 1) per file.`)
    }
    return {name: file.name, data, isoId: isoIds.get(file.name)!}
  })
  // The order of the primary directory (9.3), which is also the order of the files' extents.
  return prepared.sort((a, b) => compareLevel1(a.isoId, b.isoId))
}

function checkFileName(name: string): void {
  if (name.length === 0) throw new Error('An ISO file name is empty.')
  if (name.includes('/')) throw new Error(`The ISO file name "${name}" contains "/"; only files in the root folder are supported.`)
  if (name.includes('\0')) throw new Error(`The ISO file name ${JSON.stringify(name)} contains a NUL character.`)
  if (name === '.' || name === '..') throw new Error(`"${name}" cannot be an ISO file name.`)
  if (name.length > MAX_NAME_LENGTH) {
    throw new Error(`The ISO file name "${name}" is longer than ${MAX_NAME_LENGTH} characters (the Joliet limit).`)
  }
  // Joliet forbids control characters and * / : ; ? \ in names; rather than record a different
  // name there than in Rock Ridge, refuse them.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f*:;?\\]/.test(name)) {
    throw new Error(`The ISO file name ${JSON.stringify(name)} holds a character Joliet forbids (control characters and * : ; ? \\).`)
  }
  // A lone surrogate has no UTF-8 form, so Rock Ridge could not record it.
  if (/\p{Surrogate}/u.test(name)) throw new Error(`The ISO file name ${JSON.stringify(name)} is not valid Unicode.`)
}

/**
 * Maps each name to a unique level 1 identifier (10.1, 7.5): at most 8 d-characters, a dot, at
 * most 3 d-characters, and version `;1`. Anything else becomes `_`; clashes get a numeric tail
 * (USER_DAT, USER_DA1, ...). Names are handled in sorted order so that the result does not depend
 * on the order the caller lists the files in.
 */
function level1Identifiers(names: readonly string[]): Map<string, string> {
  const result = new Map<string, string>()
  const taken = new Set<string>()
  for (const name of [...names].sort(compareCodeUnits)) {
    const dot = name.lastIndexOf('.')
    let stem = toDCharacters(dot >= 0 ? name.slice(0, dot) : name).slice(0, LEVEL1_STEM_LENGTH)
    const extension = dot >= 0 ? toDCharacters(name.slice(dot + 1)).slice(0, LEVEL1_EXTENSION_LENGTH) : ''
    // 7.5.1: the name and the extension cannot both be empty.
    if (stem === '' && extension === '') stem = '_'
    let candidate = stem
    for (let n = 1; taken.has(`${candidate}.${extension}`); n++) {
      const tail = String(n)
      candidate = stem.slice(0, LEVEL1_STEM_LENGTH - tail.length) + tail
    }
    taken.add(`${candidate}.${extension}`)
    result.set(name, `${candidate}.${extension};1`)
  }
  return result
}

function toDCharacters(text: string): string {
  return [...text].map((ch) => (/^[A-Za-z0-9_]$/.test(ch) ? ch.toUpperCase() : '_')).join('')
}

/** 9.3: records are ordered by name, then extension, each padded with spaces, then by version. */
function compareLevel1(a: string, b: string): number {
  const [aName = '', aExtension = ''] = a.replace(/;1$/, '').split('.')
  const [bName = '', bExtension = ''] = b.replace(/;1$/, '').split('.')
  return (
    compareCodeUnits(aName.padEnd(LEVEL1_STEM_LENGTH), bName.padEnd(LEVEL1_STEM_LENGTH)) ||
    compareCodeUnits(aExtension.padEnd(LEVEL1_EXTENSION_LENGTH), bExtension.padEnd(LEVEL1_EXTENSION_LENGTH))
  )
}

/** Joliet names sort by their UCS-2 code units, which is JavaScript's own string order. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

// ---------------------------------------------------------------------------------------------
// Layout

type Place = {readonly sector: number; readonly offset: number}

/**
 * Places items one after another in 2048-byte sectors without letting any straddle a sector
 * boundary: 6.8.1.1 for directory records; Linux rejects a continuation area that crosses one.
 */
function packIntoSectors(lengths: readonly number[]): {places: Place[]; sectors: number} {
  const places: Place[] = []
  let sector = 0
  let offset = 0
  for (const length of lengths) {
    if (offset + length > SECTOR_SIZE) {
      sector++
      offset = 0
    }
    places.push({sector, offset})
    offset += length
  }
  return {places, sectors: lengths.length === 0 ? 0 : sector + 1}
}

function sectorsFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR_SIZE)
}

/** One record of the root folder; `file` is absent for `.` and `..`. */
type Entry = {readonly identifier: Uint8Array; readonly file?: PreparedFile; readonly systemUse: SystemUse}

type LaidOutDirectory = {
  readonly entries: readonly Entry[]
  /** Where each entry's record goes, relative to the directory's first sector. */
  readonly places: readonly Place[]
  readonly sectors: number
  /** Where each entry's overflowing System Use entries go, relative to the continuation area. */
  readonly continuationPlaces: ReadonlyMap<Entry, Place>
  readonly continuationSectors: number
}

/**
 * The primary tree: `.` and `..` first (6.8.2.2), then the files in 9.3 order, with Rock Ridge in
 * each record's System Use field. The root's `.` record carries SP (which must come first) and
 * ER, which is what makes Linux use Rock Ridge at all.
 */
function primaryEntries(files: readonly PreparedFile[], recorded: Uint8Array): Entry[] {
  const folder = () => [pxEntry(DIRECTORY_MODE, 2), tfEntry(recorded)]
  return [
    {identifier: Uint8Array.of(0), systemUse: systemUse(1, [spEntry(), ...folder(), erEntry()])},
    {identifier: Uint8Array.of(1), systemUse: systemUse(1, folder())},
    ...files.map((file) => ({
      identifier: ascii(file.isoId),
      file,
      // NM last: it is the only entry that can be long, so it is the one that may have to move.
      systemUse: systemUse(file.isoId.length, [pxEntry(FILE_MODE, 1), tfEntry(recorded), nmEntry(file.name)]),
    })),
  ]
}

/** The Joliet tree: the same extents under UCS-2 names, ordered by them, without Rock Ridge. */
function jolietEntries(files: readonly PreparedFile[]): Entry[] {
  return [
    {identifier: Uint8Array.of(0), systemUse: NO_SYSTEM_USE},
    {identifier: Uint8Array.of(1), systemUse: NO_SYSTEM_USE},
    ...[...files]
      .sort((a, b) => compareCodeUnits(a.name, b.name))
      .map((file) => ({identifier: ucs2(file.name), file, systemUse: NO_SYSTEM_USE})),
  ]
}

function layOutDirectory(entries: readonly Entry[]): LaidOutDirectory {
  const records = packIntoSectors(entries.map((entry) => recordLength(entry.identifier.length, entry.systemUse.inlineLength)))
  const continuing = entries.filter((entry) => entry.systemUse.overflow.length > 0)
  const continuation = packIntoSectors(continuing.map((entry) => entry.systemUse.overflow.length))
  return {
    entries,
    places: records.places,
    sectors: records.sectors,
    continuationPlaces: new Map(continuing.map((entry, i) => [entry, continuation.places[i]!])),
    continuationSectors: continuation.sectors,
  }
}

type DirectoryLocation = {
  readonly root: number
  readonly continuation: number
  readonly extents: ReadonlyMap<PreparedFile, number>
  readonly recorded: Uint8Array
}

/** Writes a directory's records, and what did not fit in them to the continuation area. */
function writeDirectory(image: Uint8Array, directory: LaidOutDirectory, at: DirectoryLocation): void {
  directory.entries.forEach((entry, i) => {
    const use = entry.systemUse
    let ce: Uint8Array = new Uint8Array(0)
    const spill = directory.continuationPlaces.get(entry)
    if (spill) {
      const block = at.continuation + spill.sector
      ce = ceEntry(block, spill.offset, use.overflow.length)
      image.set(use.overflow, block * SECTOR_SIZE + spill.offset)
    }
    const record = directoryRecord({
      identifier: entry.identifier,
      extent: entry.file ? at.extents.get(entry.file)! : at.root,
      dataLength: entry.file ? entry.file.data.length : directory.sectors * SECTOR_SIZE,
      directory: !entry.file,
      recorded: at.recorded,
      systemUse: concat([use.inline, ce]),
    })
    const place = directory.places[i]!
    image.set(record, (at.root + place.sector) * SECTOR_SIZE + place.offset)
  })
}

// ---------------------------------------------------------------------------------------------
// Directory records (9.1)

type DirectoryRecordFields = {
  readonly identifier: Uint8Array
  readonly extent: number
  readonly dataLength: number
  readonly directory: boolean
  /** 9.1.5, from recordingDate(). */
  readonly recorded: Uint8Array
  readonly systemUse: Uint8Array
}

/** 9.1.12: a padding byte follows an even-length identifier, so the System Use field starts even. */
function systemUseOffset(identifierLength: number): number {
  return RECORD_HEADER_LENGTH + identifierLength + (identifierLength % 2 === 0 ? 1 : 0)
}

/** The whole record, kept even (as mkisofs and libisofs do) so the next record starts even too. */
function recordLength(identifierLength: number, systemUseLength: number): number {
  const length = systemUseOffset(identifierLength) + systemUseLength
  return length + (length % 2)
}

function directoryRecord(fields: DirectoryRecordFields): Uint8Array {
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
function rootRecordForDescriptor(extent: number, dataLength: number, recorded: Uint8Array): Uint8Array {
  return directoryRecord({identifier: Uint8Array.of(0), extent, dataLength, directory: true, recorded, systemUse: new Uint8Array(0)})
}

// ---------------------------------------------------------------------------------------------
// System Use Sharing Protocol (SUSP 1.12) and Rock Ridge (RRIP 1.09) entries

type SystemUse = {
  /** Entries kept in the directory record, plus room for a CE entry when there is overflow. */
  readonly inline: Uint8Array
  readonly inlineLength: number
  /** Entries moved to the continuation area (SUSP 5.1); empty when everything fits. */
  readonly overflow: Uint8Array
}

const NO_SYSTEM_USE: SystemUse = {inline: new Uint8Array(0), inlineLength: 0, overflow: new Uint8Array(0)}

/**
 * Keeps entries in the record, in order, while they fit in its 255 bytes; the rest go to a
 * continuation area, and a CE entry (added when the location is known) points there. The root's
 * ER entry alone is 237 bytes, so the root's `.` record always continues.
 */
function systemUse(identifierLength: number, entries: readonly Uint8Array[]): SystemUse {
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
function spEntry(): Uint8Array {
  return suspEntry('SP', Uint8Array.of(0xbe, 0xef, 0))
}

/** SUSP 5.1: CE points at the rest of a record's entries: block, offset and length, both-endian. */
function ceEntry(block: number, offset: number, length: number): Uint8Array {
  const data = new Uint8Array(24)
  putBoth32(data, 0, block)
  putBoth32(data, 8, offset)
  putBoth32(data, 16, length)
  return suspEntry('CE', data)
}

/** SUSP 5.5: ER names the extension in use (Rock Ridge, RRIP 1.09 section 5), version 1. */
function erEntry(): Uint8Array {
  const id = ascii(RRIP_ID)
  const descriptor = ascii(RRIP_DESCRIPTOR)
  const source = ascii(RRIP_SOURCE)
  return suspEntry('ER', concat([Uint8Array.of(id.length, descriptor.length, source.length, 1), id, descriptor, source]))
}

/**
 * RRIP 4.1.1: PX holds mode, link count, uid and gid, each both-endian. RRIP 1.09 ends there
 * (36 bytes); the serial number field came with RRIP 1.12, which our ER does not claim.
 */
function pxEntry(mode: number, links: number): Uint8Array {
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
function tfEntry(recorded: Uint8Array): Uint8Array {
  const MODIFY = 0x02
  const ACCESS = 0x04
  const ATTRIBUTES = 0x08
  return suspEntry('TF', concat([Uint8Array.of(MODIFY | ACCESS | ATTRIBUTES), recorded, recorded, recorded]))
}

/** RRIP 4.1.4: NM holds the name as the POSIX side sees it; flags 0 = complete in this entry. */
function nmEntry(name: string): Uint8Array {
  return suspEntry('NM', concat([Uint8Array.of(0), new TextEncoder().encode(name)]))
}

// ---------------------------------------------------------------------------------------------
// Volume descriptors (8) and path tables (9.4)

type VolumeDescriptorFields = {
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
function writeVolumeDescriptor(sector: Uint8Array, fields: VolumeDescriptorFields): void {
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
function writeTerminator(sector: Uint8Array): void {
  writeDescriptorHeader(sector, 255)
}

/** 8.1: type, standard identifier `CD001`, version 1. */
function writeDescriptorHeader(sector: Uint8Array, type: number): void {
  sector[0] = type
  sector.set(ascii('CD001'), 1)
  sector[6] = 1
}

/**
 * 9.4: writes the single-entry path tables (type L little-endian, type M big-endian) of a tree
 * whose only directory is the root, and returns their size in bytes.
 */
function writePathTables(sectorAt: (sector: number) => Uint8Array, root: number, lSector: number, mSector: number): number {
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

// ---------------------------------------------------------------------------------------------
// Dates

/** 9.1.5: years since 1900, month, day, hour, minute, second, GMT offset in 15-minute units (UTC: 0). */
function recordingDate(date: Date): Uint8Array {
  return Uint8Array.of(
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0,
  )
}

/** 8.4.26.1: "YYYYMMDDHHMMSScc" as digits plus the GMT offset byte; all zeros means "not specified". */
function volumeDate(date: Date | undefined): Uint8Array {
  const two = (n: number) => String(n).padStart(2, '0')
  const digits = date
    ? String(date.getUTCFullYear()).padStart(4, '0') +
      two(date.getUTCMonth() + 1) +
      two(date.getUTCDate()) +
      two(date.getUTCHours()) +
      two(date.getUTCMinutes()) +
      two(date.getUTCSeconds()) +
      two(Math.floor(date.getUTCMilliseconds() / 10))
    : '0'.repeat(16)
  return concat([ascii(digits), Uint8Array.of(0)])
}

// ---------------------------------------------------------------------------------------------
// Numbers and strings

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** 7.2.3: a 16-bit number recorded little-endian, then big-endian. */
function putBoth16(bytes: Uint8Array, offset: number, value: number): void {
  const view = dataView(bytes)
  view.setUint16(offset, value, true)
  view.setUint16(offset + 2, value, false)
}

/** 7.3.3: a 32-bit number recorded little-endian, then big-endian. */
function putBoth32(bytes: Uint8Array, offset: number, value: number): void {
  const view = dataView(bytes)
  view.setUint32(offset, value, true)
  view.setUint32(offset + 4, value, false)
}

/** 7.3.1 */
function putLsb32(bytes: Uint8Array, offset: number, value: number): void {
  dataView(bytes).setUint32(offset, value, true)
}

/** 7.3.2 */
function putMsb32(bytes: Uint8Array, offset: number, value: number): void {
  dataView(bytes).setUint32(offset, value, false)
}

/** a- and d-character fields are padded on the right with spaces (8.4.5 and on). Callers pass ASCII. */
function putAText(bytes: Uint8Array, offset: number, length: number, value: string): void {
  bytes.set(ascii(value.padEnd(length, ' ').slice(0, length)), offset)
}

/**
 * Joliet writes descriptor text as UCS-2 big-endian padded with UCS-2 spaces; an odd-length field
 * (the 37-byte file identifiers) ends with one zero byte.
 */
function putUcs2Text(bytes: Uint8Array, offset: number, length: number, value: string): void {
  const units = Math.floor(length / 2)
  bytes.set(ucs2(value.padEnd(units, ' ').slice(0, units)), offset)
  if (length % 2 === 1) bytes[offset + length - 1] = 0
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0))
}

/** Joliet identifiers: each UTF-16 code unit big-endian. */
function ucs2(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2)
  const view = dataView(bytes)
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), false)
  return bytes
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
