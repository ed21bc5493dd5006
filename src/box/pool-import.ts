import {basename} from 'node:path'

import type {LibvirtSettings} from '../libvirt/settings.js'
import type {Virsh} from '../libvirt/virsh.js'
import {parseVolumeFacts} from '../libvirt/volume-facts.js'
import {baseVolumeName} from '../machine/names.js'
import {runSteps} from '../steps/run-steps.js'
import {removeImageFile, updateMeta, type CacheEntry, type CacheMeta, type VolumeRecord} from './store.js'

export type ImportOptions = {
  readonly virsh: Virsh
  readonly libvirt: LibvirtSettings
  readonly signal?: AbortSignal
  readonly log: (line: string) => void
}

export type ImportedBox = {
  readonly entry: CacheEntry
  /** The base volume in libvirt.pool that overlays back onto. */
  readonly volume: string
  readonly virtualSize: number
}

/**
 * Makes the cache entry's image a volume of the pool, and keeps one copy per host.
 *
 * - The volume counts only once meta.json records its upload as complete: a volume that exists
 *   without that record was cut off mid-upload (kill -9) and is replaced, unless an overlay already
 *   backs onto it (an entry from before these records: the machine using it must keep working).
 * - The source is the cache's image file; when that is gone, the same volume in another pool of
 *   the same connection (libvirt copies it).
 * - On a local connection, the image file is removed once the pool holds it.
 *
 * Returns undefined when the entry has no usable copy left (its file removed and its volumes
 * deleted behind vm's back): the caller fetches the box again. The caller holds the entry's lock.
 */
export async function importBox(entry: CacheEntry, options: ImportOptions): Promise<ImportedBox | undefined> {
  const {virsh, libvirt} = options
  const volume = baseVolumeName(entry.meta.sha256)
  const here = (record: VolumeRecord) => record.uri === libvirt.uri && record.pool === libvirt.pool
  const record = entry.meta.volumes?.find(here)
  let info = await virsh.volumeInfo(libvirt.pool, volume)
  if (info && record?.state !== 'complete') {
    if (!record && (await overlaysBackingOnto(virsh, libvirt.pool, volume)).length > 0) {
      entry = await setRecord(entry, {uri: libvirt.uri, pool: libvirt.pool, volume, state: 'complete'})
    } else {
      options.log(`Removing ${volume} from pool ${libvirt.pool}: its import into libvirt did not finish.`)
      await virsh.deleteVolume(libvirt.pool, volume)
      info = undefined
    }
  }
  if (!info) {
    const copied = await copyIntoPool(entry, volume, options)
    if (!copied) return undefined
    entry = copied
  }
  if (libvirt.local && entry.imagePath) entry = await removeImageFile(entry)
  // Entries from before unpacking recorded it lack the virtual size: the volume's capacity is it.
  const virtualSize = entry.meta.virtualSize ?? Number((await virsh.volumeInfo(libvirt.pool, volume))?.Capacity?.split(' ')[0])
  return {entry, volume, virtualSize}
}

/** Uploads the image file, or clones the volume from another pool; records the import around it. */
async function copyIntoPool(entry: CacheEntry, volume: string, options: ImportOptions): Promise<CacheEntry | undefined> {
  const {virsh, libvirt} = options
  const elsewhere = await findVolumeElsewhere(entry, options)
  if (!entry.imagePath && !elsewhere) {
    // Every record of this connection is now known to be stale (findVolumeElsewhere tried them
    // all; a pool may have been deleted with its volumes): dropping them all makes the entry
    // absent, so the caller fetches the box again instead of finding this husk once more.
    await updateMeta(entry, (meta: CacheMeta) => ({...meta, volumes: (meta.volumes ?? []).filter((r) => r.uri !== libvirt.uri)}))
    return undefined
  }
  const size = entry.meta.virtualSize ?? entry.meta.imageSize ?? entry.meta.size
  options.log(`Importing box ${entry.meta.name} into libvirt pool ${libvirt.pool}`)
  let current = await setRecord(entry, {uri: libvirt.uri, pool: libvirt.pool, volume, state: 'importing'})
  const imagePath = current.imagePath
  await runSteps(
    imagePath
      ? [
          {
            title: `create volume ${volume}`,
            run: () => virsh.createVolume(libvirt.pool, volume, size, 'qcow2'),
            undo: () => virsh.deleteVolumeIfPresent(libvirt.pool, volume),
          },
          {title: `upload ${imagePath}`, run: () => virsh.uploadVolume(libvirt.pool, volume, imagePath)},
        ]
      : [
          {
            title: `copy ${volume} from pool ${elsewhere!.pool}`,
            run: () => virsh.cloneVolumeFrom(libvirt.pool, volume, elsewhere!.pool, elsewhere!.volume, size),
            undo: () => virsh.deleteVolumeIfPresent(libvirt.pool, volume),
          },
        ],
    {signal: options.signal ?? new AbortController().signal, rollback: true},
  )
  current = await setRecord(current, {uri: libvirt.uri, pool: libvirt.pool, volume, state: 'complete'})
  return current
}

/** A complete copy in another pool of the same connection that still exists. */
async function findVolumeElsewhere(entry: CacheEntry, options: ImportOptions): Promise<VolumeRecord | undefined> {
  const {virsh, libvirt} = options
  for (const record of entry.meta.volumes ?? []) {
    if (record.uri !== libvirt.uri || record.pool === libvirt.pool || record.state !== 'complete') continue
    if (await virsh.volumeInfo(record.pool, record.volume).catch(() => undefined)) return record
  }
  return undefined
}

/** Sets the record for the record's connection and pool. */
async function setRecord(entry: CacheEntry, record: VolumeRecord): Promise<CacheEntry> {
  return updateMeta(entry, (meta: CacheMeta) => ({...meta, volumes: [...otherRecords(meta, record), record]}))
}

function otherRecords(meta: CacheMeta, where: {readonly uri: string; readonly pool: string}): VolumeRecord[] {
  return (meta.volumes ?? []).filter((r) => !(r.uri === where.uri && r.pool === where.pool))
}

/**
 * The overlay volumes in `pool` whose backing file is `base`: the machines that use a box. The pool,
 * not a list we keep, is the truth: it also sees a machine whose domain was removed by hand.
 */
export async function overlaysBackingOnto(virsh: Virsh, pool: string, base: string): Promise<string[]> {
  return (await backingMap(virsh, pool)).get(base) ?? []
}

/** base volume name → overlay volume names, for every overlay in the pool. */
export async function backingMap(virsh: Virsh, pool: string): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>()
  if (!(await virsh.poolInfo(pool))) return map
  for (const volume of await virsh.listVolumes(pool)) {
    if (!volume.endsWith('.qcow2') || /^[0-9a-f]{64}\.qcow2$/.test(volume)) continue
    const xml = await virsh.volumeXml(pool, volume)
    const backing = xml === undefined ? undefined : parseVolumeFacts(xml).backingPath
    if (!backing) continue
    const base = basename(backing)
    map.set(base, [...(map.get(base) ?? []), volume])
  }
  return map
}
