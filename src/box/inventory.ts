import {baseVolumeName} from '../machine/names.js'
import type {NamedBox} from './named-boxes.js'
import type {CacheEntry} from './store.js'

/**
 * What `vm box list` shows: the cache's entries joined with the names the user added and the
 * machines whose disks back onto each box. Pure: the callers read the three sources.
 */

export type BoxRow = {
  /** The names it answers to: added names first, then the name it was fetched under. */
  readonly names: readonly string[]
  readonly source: string
  /** Undefined for an added box whose data is not cached (pruned, or the cache was cleared). */
  readonly sha256?: string
  /** Bytes on this host: the qcow2 in the cache or in the pool (one of them, see pool-import). */
  readonly size?: number
  readonly format?: string
  readonly addedAt?: string
  readonly lastUsedAt?: string
  /** Where the image is: "cache", "pool vmfile", or both. */
  readonly storedIn: readonly string[]
  /** Machines (libvirt domain names) whose overlays back onto it; undefined when libvirt could not be asked. */
  readonly usedBy?: readonly string[]
  readonly entry?: CacheEntry
}

/**
 * @param backing base volume name → overlay volume names in the pool (see backingMap), or
 *   undefined when libvirt was not reachable.
 */
export function joinInventory(
  entries: readonly CacheEntry[],
  named: readonly NamedBox[],
  backing: ReadonlyMap<string, readonly string[]> | undefined,
): BoxRow[] {
  const rows: BoxRow[] = entries.map((entry) => {
    const {meta} = entry
    const added = named.filter((box) => box.sha256 === meta.sha256)
    const names = [...added.map((box) => box.name), ...(added.some((box) => box.name === meta.name) ? [] : [meta.name])]
    const overlays = backing?.get(baseVolumeName(meta.sha256))
    return {
      names,
      source: added[0]?.source ?? meta.url,
      sha256: meta.sha256,
      size: meta.imageSize ?? meta.size,
      format: meta.format,
      addedAt: added[0]?.addedAt ?? meta.fetchedAt,
      lastUsedAt: meta.lastUsedAt,
      storedIn: [
        ...(entry.imagePath ? ['cache'] : []),
        ...(meta.volumes ?? []).filter((v) => v.state === 'complete').map((v) => `pool ${v.pool}`),
      ],
      usedBy: backing ? (overlays ?? []).map((volume) => volume.replace(/\.qcow2$/, '')) : undefined,
      entry,
    }
  })
  const cached = new Set(entries.map((entry) => entry.meta.sha256))
  for (const box of named.filter((b) => !cached.has(b.sha256))) {
    rows.push({names: [box.name], source: box.source, sha256: box.sha256, addedAt: box.addedAt, storedIn: [], usedBy: backing ? [] : undefined})
  }
  return rows.sort((a, b) => (a.names[0] ?? '').localeCompare(b.names[0] ?? ''))
}

/** The rows a name refers to: an added name, or the name a box was fetched under (catalog or URL label). */
export function rowsNamed(rows: readonly BoxRow[], name: string): BoxRow[] {
  return rows.filter((row) => row.names.includes(name) || row.sha256 === name)
}
