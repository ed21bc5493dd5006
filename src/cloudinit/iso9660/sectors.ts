/** The image's 2048-byte logical sectors, and packing records into them. */

/** The logical sector size, which is also the logical block size recorded in 8.4.12. */
export const SECTOR_SIZE = 2048

/** Where an item goes: a sector counted from the start of its area, and a byte offset in it. */
export type Place = {readonly sector: number; readonly offset: number}

/**
 * Places items one after another in 2048-byte sectors without letting any straddle a sector
 * boundary: 6.8.1.1 for directory records; Linux rejects a continuation area that crosses one.
 */
export function packIntoSectors(lengths: readonly number[]): {places: Place[]; sectors: number} {
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

/** The number of whole sectors that `bytes` bytes take up. */
export function sectorsFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR_SIZE)
}
