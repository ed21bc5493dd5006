/**
 * The two root folders, primary (with Rock Ridge) and Joliet: their records, where those records
 * and the continued System Use entries go, and writing both into the image.
 */
import {ascii, concat} from './bytes.js'
import {directoryRecord, recordLength} from './directory-record.js'
import {compareCodeUnits, ucs2} from './names.js'
import {packIntoSectors, SECTOR_SIZE, type Place} from './sectors.js'
import type {PreparedFile} from './spec.js'
import {ceEntry, erEntry, NO_SYSTEM_USE, nmEntry, pxEntry, spEntry, systemUse, tfEntry, type SystemUse} from './susp.js'

/** The medium is read-only, so files and folders say so (what genisoimage -r records too). */
const FILE_MODE = 0o100444
const DIRECTORY_MODE = 0o040555

/** One record of the root folder; `file` is absent for `.` and `..`. */
type Entry = {readonly identifier: Uint8Array; readonly file?: PreparedFile; readonly systemUse: SystemUse}

/** A root folder's records with their places, before the folder's own location is known. */
export type LaidOutDirectory = {
  readonly entries: readonly Entry[]
  /** Where each entry's record goes, relative to the directory's first sector. */
  readonly places: readonly Place[]
  readonly sectors: number
  /** Where each entry's overflowing System Use entries go, relative to the continuation area. */
  readonly continuationPlaces: ReadonlyMap<Entry, Place>
  readonly continuationSectors: number
}

/**
 * The primary tree: `.` and `..` first (6.8.2.2), then the files in 9.3 order (prepareFiles()
 * returns them so), with Rock Ridge in each record's System Use field. The root's `.` record
 * carries SP (which must come first) and ER, which is what makes Linux use Rock Ridge at all.
 */
export function layOutPrimaryDirectory(files: readonly PreparedFile[], recorded: Uint8Array): LaidOutDirectory {
  const folder = () => [pxEntry(DIRECTORY_MODE, 2), tfEntry(recorded)]
  return layOutDirectory([
    {identifier: Uint8Array.of(0), systemUse: systemUse(1, [spEntry(), ...folder(), erEntry()])},
    {identifier: Uint8Array.of(1), systemUse: systemUse(1, folder())},
    ...files.map((file) => ({
      identifier: ascii(file.isoId),
      file,
      // NM last: it is the only entry that can be long, so it is the one that may have to move.
      systemUse: systemUse(file.isoId.length, [pxEntry(FILE_MODE, 1), tfEntry(recorded), nmEntry(file.name)]),
    })),
  ])
}

/** The Joliet tree: the same extents under UCS-2 names, ordered by them, without Rock Ridge. */
export function layOutJolietDirectory(files: readonly PreparedFile[]): LaidOutDirectory {
  return layOutDirectory([
    {identifier: Uint8Array.of(0), systemUse: NO_SYSTEM_USE},
    {identifier: Uint8Array.of(1), systemUse: NO_SYSTEM_USE},
    ...[...files]
      .sort((a, b) => compareCodeUnits(a.name, b.name))
      .map((file) => ({identifier: ucs2(file.name), file, systemUse: NO_SYSTEM_USE})),
  ])
}

/** Packs the records into the folder's sectors, and what overflows them into the continuation area. */
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

/**
 * Where a laid-out folder lands: its first sector, the first sector of the continuation area, each
 * file's extent, and the recording date (9.1.5) its records carry.
 */
export type DirectoryLocation = {
  readonly root: number
  readonly continuation: number
  readonly extents: ReadonlyMap<PreparedFile, number>
  readonly recorded: Uint8Array
}

/** Writes a directory's records, and what did not fit in them to the continuation area. */
export function writeDirectory(image: Uint8Array, directory: LaidOutDirectory, at: DirectoryLocation): void {
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
