/** What the writer is given, and the files as the layout uses them: checked, encoded, named and ordered. */
import {checkFileName, compareLevel1, level1Identifiers} from './names.js'

/** A file for the image's root folder; string data is recorded as UTF-8. */
export type IsoFile = {readonly name: string; readonly data: Uint8Array | string}
/** A whole image: its volume label, its files, and the one timestamp every date on it records. */
export type IsoSpec = {readonly volumeId: string; readonly files: readonly IsoFile[]; readonly modified: Date}

/** 9.1.4: a single extent's data length is a 32-bit number. */
const MAX_FILE_SIZE = 0xffff_ffff

/** A file ready for the layout. */
export type PreparedFile = {
  /** The name as given: recorded verbatim by Rock Ridge (UTF-8) and Joliet (UCS-2). */
  readonly name: string
  readonly data: Uint8Array
  /** The level 1 identifier, e.g. `USER_DAT.;1`. */
  readonly isoId: string
}

/**
 * Checks the files' names and sizes, encodes string data as UTF-8, and gives each file its level 1
 * identifier; returns them in the order of the primary directory.
 */
export function prepareFiles(files: readonly IsoFile[]): PreparedFile[] {
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
