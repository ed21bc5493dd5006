import {backingMap} from '../box/pool-import.js'
import {boxCacheRoot, lockPathFor, removeEntry, type CacheEntry} from '../box/store.js'
import {baseVolumeName} from '../machine/names.js'
import type {Services} from '../services.js'
import {withFileLock} from '../util/file-lock.js'

export type RemovedBox = {
  /** Pool volumes deleted, as "pool/volume". */
  readonly volumesDeleted: string[]
  /** Volumes left because overlays still back onto them, as "pool/volume". */
  readonly volumesKept: string[]
}

/**
 * Removes a box's data: its pool volumes on this connection (except those machines' disks still
 * back onto: deleting those would break the machines) and its cache entry. Holds the entry's lock,
 * so it never pulls a box out from under a `vm up` that is importing it.
 */
export async function removeBoxData(services: Services, entry: CacheEntry): Promise<RemovedBox> {
  const {virsh, libvirt} = services
  const lock = lockPathFor(boxCacheRoot(services.home), entry.meta.url)
  return withFileLock(lock, {signal: services.signal, onWait: () => services.out.info(`Waiting for another vm process using ${entry.meta.name}...`)}, async () => {
    const volume = baseVolumeName(entry.meta.sha256)
    const pools = new Set([libvirt.pool, ...(entry.meta.volumes ?? []).filter((r) => r.uri === libvirt.uri).map((r) => r.pool)])
    const result: RemovedBox = {volumesDeleted: [], volumesKept: []}
    for (const pool of pools) {
      if (!(await virsh.volumeInfo(pool, volume).catch(() => undefined))) continue
      const users = (await backingMap(virsh, pool)).get(volume) ?? []
      if (users.length > 0) {
        result.volumesKept.push(`${pool}/${volume}`)
        continue
      }
      await virsh.deleteVolumeIfPresent(pool, volume)
      result.volumesDeleted.push(`${pool}/${volume}`)
    }
    await removeEntry(entry)
    return result
  })
}
