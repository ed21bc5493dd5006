import {formatTable} from '../ui/table.js'
import type {CatalogEntry} from './catalog-entry.js'
import {ARCHES, type Arch, type ChecksumSource, type Firmware, type X86_64Level} from './types.js'

/**
 * The catalog as `vm box list --available` shows it: a table for people, plain objects for --json.
 * Pure: entries in (from loadCatalog), text or data out.
 */

/** Marks the architecture of this host in the ARCHES column. */
const HOST_MARK = '*'

/**
 * One line per box under a header (NAME, ALIASES, TITLE, ARCHES), in the entries' order, and a last
 * line explaining the mark: the host's architecture is starred, so a box that cannot run here is the
 * one without a star.
 */
export function catalogTable(entries: readonly CatalogEntry[], hostArch: Arch): string[] {
  const rows = entries.map((entry) => [
    entry.name,
    entry.aliases.length > 0 ? entry.aliases.join(', ') : '-',
    entry.title,
    archesOf(entry)
      .map((arch) => (arch === hostArch ? `${arch}${HOST_MARK}` : arch))
      .join(', '),
  ])
  const note = `${HOST_MARK} this host's architecture (${hostArch}); a box without it cannot run here.`
  return [...formatTable(['NAME', 'ALIASES', 'TITLE', 'ARCHES'], rows), '', note]
}

/** Where an image's digest comes from, as --json shows it. */
export type CatalogChecksumJson =
  | {readonly algorithm: string; readonly url: string}
  | {readonly algorithm: string; readonly digest: string}

export type CatalogImageJson = {
  readonly url: string
  readonly mirrors: string[]
  readonly checksum: CatalogChecksumJson
}

export type CatalogEntryJson = {
  readonly name: string
  readonly aliases: string[]
  readonly title: string
  readonly osId: string
  readonly defaultUser: string
  readonly firmware: Firmware
  /** null when the x86_64 image runs on any x86-64 CPU (or there is none). */
  readonly x86_64Level: X86_64Level | null
  /** Keyed by architecture (x86_64, aarch64), only those the box has. */
  readonly images: Partial<Record<Arch, CatalogImageJson>>
}

/** Plain, JSON-ready copies of the entries: nothing shared with the parsed catalog, no undefined. */
export function catalogJson(entries: readonly CatalogEntry[]): CatalogEntryJson[] {
  return entries.map((entry) => {
    const images: Partial<Record<Arch, CatalogImageJson>> = {}
    for (const arch of archesOf(entry)) {
      const image = entry.images[arch]
      if (image) images[arch] = {url: image.url, mirrors: [...image.mirrors], checksum: checksumJson(image.checksum)}
    }
    return {
      name: entry.name,
      aliases: [...entry.aliases],
      title: entry.title,
      osId: entry.osId,
      defaultUser: entry.defaultUser,
      firmware: entry.firmware,
      x86_64Level: entry.x86_64Level ?? null,
      images,
    }
  })
}

/** The box's architectures in the usual order (x86_64 first), whatever order the file gave them in. */
function archesOf(entry: CatalogEntry): Arch[] {
  return ARCHES.filter((arch) => entry.images[arch] !== undefined)
}

function checksumJson(checksum: ChecksumSource): CatalogChecksumJson {
  return 'checksumUrl' in checksum
    ? {algorithm: checksum.algorithm, url: checksum.checksumUrl}
    : {algorithm: checksum.algorithm, digest: checksum.digest}
}
