/**
 * Assembles the image: allocates the sectors and has each part write itself there.
 *
 * Layout, in 2048-byte logical sectors (each one logical block):
 *   0-15   System Area, all zeros (6.2.1)
 *   16     Primary Volume Descriptor (8.4)
 *   17     Joliet Supplementary Volume Descriptor (8.5)
 *   18     Volume Descriptor Set Terminator (8.3)
 *   19-22  path tables: type L and type M for the primary tree, then for the Joliet tree (9.4)
 *   23-    primary root directory (with Rock Ridge), Joliet root directory, the SUSP continuation
 *          area, one zero block that empty files point at, then the files' extents
 */
import {constants as bufferConstants} from 'node:buffer'

import {checkDate, recordingDate} from './dates.js'
import {
  JOLIET_ESCAPES,
  JOLIET_VOLUME_ID_LENGTH,
  putAText,
  putUcs2Text,
  writePathTables,
  writeTerminator,
  writeVolumeDescriptor,
} from './descriptors.js'
import {rootRecordForDescriptor} from './directory-record.js'
import {layOutJolietDirectory, layOutPrimaryDirectory, writeDirectory} from './directory.js'
import {checkVolumeId} from './names.js'
import {SECTOR_SIZE, sectorsFor} from './sectors.js'
import {prepareFiles, type IsoSpec, type PreparedFile} from './spec.js'

const PRIMARY_DESCRIPTOR_SECTOR = 16
const JOLIET_DESCRIPTOR_SECTOR = 17
const TERMINATOR_SECTOR = 18
const PATH_TABLE_SECTORS = {primaryL: 19, primaryM: 20, jolietL: 21, jolietM: 22} as const
const FIRST_FREE_SECTOR = 23

/** Renders a complete ISO 9660 image (Joliet + Rock Ridge) holding the files in its root folder. Pure. */
export function renderIso9660(spec: IsoSpec): Uint8Array {
  checkVolumeId(spec.volumeId)
  checkDate(spec.modified)
  const files = prepareFiles(spec.files)
  const recorded = recordingDate(spec.modified)
  const primary = layOutPrimaryDirectory(files, recorded)
  const joliet = layOutJolietDirectory(files)

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
