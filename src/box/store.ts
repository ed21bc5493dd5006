import {createHash, randomBytes} from 'node:crypto'
import {chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {VmError} from '../errors.js'
import type {VmHome} from '../home.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {isHexDigest, type DigestAlgorithm} from './types.js'

/**
 * The box cache, keyed by content:
 *
 * ```
 * <cacheDir>/boxes/sha256/<hex>/image       the box as one plain qcow2, read-only (see below)
 * <cacheDir>/boxes/sha256/<hex>/meta.json   CacheMeta; an entry exists only once this is written
 * <cacheDir>/boxes/tmp/<url-key>.part(.json) a download in flight or interrupted, resumable
 * <cacheDir>/boxes/tmp/<random>.work/        unpacking (decompress, untar, convert) in progress
 * <cacheDir>/boxes/locks/<url-key>.lock/     held while one process fetches and imports a source
 * ```
 *
 * `<hex>` is the sha256 of the source file exactly as published (what checksum files list), even
 * when the image was decompressed or converted on the way in. Only verified, checked bytes are ever
 * renamed under sha256/.
 *
 * On a local libvirt connection the pool is the one copy on the host: once the image has been
 * imported into a pool, `image` is removed and meta.json records the pool volume instead.
 */

/** A pool volume that holds an entry's image. `importing` until the upload has completed. */
export type VolumeRecord = {
  readonly uri: string
  readonly pool: string
  readonly volume: string
  readonly state: 'importing' | 'complete'
}

export type CacheMeta = {
  /** Of the source file as published. */
  readonly sha256: string
  /** Recorded when the box was verified against a sha512 (Debian); lookups by sha512 need it. */
  readonly sha512?: string
  /** Of the source file as published. */
  readonly size: number
  /** Of the qcow2 in `image` (absent in entries from before unpacking existed: then equal to size). */
  readonly imageSize?: number
  readonly virtualSize?: number
  /** What the source was, e.g. "qcow2", "raw.xz", "vagrant-box(tar.gz):box.img". */
  readonly format?: string
  readonly volumes?: readonly VolumeRecord[]
  /** Where the bytes came from most recently; the offline fallback looks entries up by it. */
  readonly url: string
  readonly name: string
  /** ISO 8601. */
  readonly fetchedAt: string
  readonly lastUsedAt: string
}

export type CacheEntry = {
  readonly dir: string
  /** Undefined when the image now lives only in a pool (meta.volumes). */
  readonly imagePath: string | undefined
  readonly meta: CacheMeta
}

/** `<cacheDir>/boxes`. */
export function boxCacheRoot(home: VmHome): string {
  return join(home.cacheDir, 'boxes')
}

/** Every complete entry. Entries without meta.json (not committed) or without their image are skipped; a damaged meta.json is an error naming it. */
export async function listEntries(root: string): Promise<CacheEntry[]> {
  const base = join(root, 'sha256')
  const names = await readdir(base).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  const entries = await Promise.all(names.map((name) => readEntry(join(base, name), name)))
  return entries.filter((entry): entry is CacheEntry => entry !== undefined)
}

async function readEntry(dir: string, name: string): Promise<CacheEntry | undefined> {
  const metaPath = join(dir, 'meta.json')
  let text: string
  try {
    text = await readFile(metaPath, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined // not committed yet
    throw error
  }
  // meta.json is only ever written whole (atomically), so one that does not parse was damaged
  // (a disk error, a hand edit): never read it as "no entry", which would forget its pool volumes.
  let meta: unknown
  try {
    meta = JSON.parse(text)
  } catch {
    meta = undefined
  }
  if (!isMeta(meta) || meta.sha256 !== name) {
    throw new VmError(`The box cache record ${metaPath} is damaged.`, {
      code: 'CACHE_RECORD_DAMAGED',
      hint: `Look at it, then remove the entry with \`rm -r ${dir}\`: the box is downloaded again on next use.`,
    })
  }
  const imagePath = join(dir, 'image')
  const info = await stat(imagePath).catch(() => undefined)
  // A size check is cheap and catches a truncated or replaced file.
  if (info?.isFile() && info.size === (meta.imageSize ?? meta.size)) return {dir, imagePath, meta}
  const inPool = meta.volumes?.some((record) => record.state === 'complete')
  return inPool ? {dir, imagePath: undefined, meta} : undefined
}

function isMeta(value: unknown): value is CacheMeta {
  const meta = value as Partial<Record<keyof CacheMeta, unknown>> | null
  return (
    typeof meta === 'object' &&
    meta !== null &&
    typeof meta.sha256 === 'string' &&
    isHexDigest(meta.sha256, 'sha256') &&
    (meta.sha512 === undefined || (typeof meta.sha512 === 'string' && isHexDigest(meta.sha512, 'sha512'))) &&
    typeof meta.size === 'number' &&
    typeof meta.url === 'string' &&
    typeof meta.name === 'string' &&
    typeof meta.fetchedAt === 'string' &&
    typeof meta.lastUsedAt === 'string' &&
    (meta.imageSize === undefined || typeof meta.imageSize === 'number') &&
    (meta.virtualSize === undefined || typeof meta.virtualSize === 'number') &&
    (meta.volumes === undefined || Array.isArray(meta.volumes))
  )
}

/** The entry whose content has this digest. There are few entries, so scanning them is fine. */
export async function findByDigest(
  root: string,
  algorithm: DigestAlgorithm,
  digest: string,
): Promise<CacheEntry | undefined> {
  const wanted = digest.toLowerCase()
  if (!isHexDigest(wanted, algorithm)) return undefined // also keeps the digest from naming a path elsewhere
  if (algorithm === 'sha256') return readEntry(join(root, 'sha256', wanted), wanted)
  return (await listEntries(root)).find((entry) => entry.meta.sha512 === wanted)
}

/** The most recently fetched entry downloaded from `url`: the offline fallback. */
export async function findNewestByUrl(root: string, url: string): Promise<CacheEntry | undefined> {
  const matches = (await listEntries(root)).filter((entry) => entry.meta.url === url)
  return matches.sort((a, b) => b.meta.fetchedAt.localeCompare(a.meta.fetchedAt))[0]
}

/** A fresh, unique path for a download in flight, inside the cache so the final rename stays on one file system. */
export async function createTempPath(root: string): Promise<string> {
  const dir = join(root, 'tmp')
  await mkdir(dir, {recursive: true})
  return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}.part`)
}

/**
 * Moves a VERIFIED, checked qcow2 into the cache and records its meta. If the entry's image already
 * exists with the same size (another process won the race, or only meta.json was lost), the temp
 * file is discarded: the path is the source's digest, so the bytes are the same. Digests and pool
 * volumes the old meta.json knew and this one does not are kept.
 */
export async function commitEntry(root: string, tempPath: string, meta: CacheMeta): Promise<CacheEntry> {
  const dir = join(root, 'sha256', meta.sha256)
  await mkdir(dir, {recursive: true})
  const imagePath = join(dir, 'image')
  const existing = await stat(imagePath).catch(() => undefined)
  if (existing?.isFile() && existing.size === (meta.imageSize ?? meta.size)) {
    await rm(tempPath, {force: true})
  } else {
    // Read-only: overlays use it as their backing file, and nothing may change it after verification.
    await chmod(tempPath, 0o444)
    await rename(tempPath, imagePath)
  }
  const previous = await readEntry(dir, meta.sha256)
  const sha512 = meta.sha512 ?? previous?.meta.sha512
  const volumes = meta.volumes ?? previous?.meta.volumes
  const merged: CacheMeta = {...meta, ...(sha512 ? {sha512} : {}), ...(volumes ? {volumes} : {})}
  await writeMeta(dir, merged)
  return {dir, imagePath, meta: merged}
}

/** Rewrites an entry's meta.json with `change` applied to what is on disk now (another process may have written it). */
export async function updateMeta(entry: CacheEntry, change: (meta: CacheMeta) => CacheMeta): Promise<CacheEntry> {
  const current = (await readEntry(entry.dir, entry.meta.sha256)) ?? entry
  const meta = change(current.meta)
  await writeMeta(entry.dir, meta)
  return (await readEntry(entry.dir, meta.sha256)) ?? {...current, meta}
}

/** Records a use (for `vm box list` and `vm box prune`). */
export async function touchEntry(entry: CacheEntry, now: Date): Promise<CacheEntry> {
  return updateMeta(entry, (meta) => ({...meta, lastUsedAt: now.toISOString()}))
}

/** Drops the image file once a pool holds the image: one copy per host. */
export async function removeImageFile(entry: CacheEntry): Promise<CacheEntry> {
  if (entry.imagePath) await rm(entry.imagePath, {force: true})
  return {...entry, imagePath: undefined}
}

/** Removes the whole entry: meta.json first, so that a crash half-way leaves no entry that looks complete. */
export async function removeEntry(entry: CacheEntry): Promise<void> {
  await rm(join(entry.dir, 'meta.json'), {force: true})
  await rm(entry.dir, {recursive: true, force: true})
}

async function writeMeta(dir: string, meta: CacheMeta): Promise<void> {
  await writeFileAtomic(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`)
}

/** One download source (a URL or a local path): where its resumable part file and its lock live. */
export function sourceKey(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 32)
}

export function partPathFor(root: string, source: string): string {
  return join(root, 'tmp', `${sourceKey(source)}.part`)
}

export function lockPathFor(root: string, source: string): string {
  return lockPathForKey(root, sourceKey(source))
}

export function lockPathForKey(root: string, key: string): string {
  return join(root, 'locks', key)
}

/** The resumable part files in tmp/, with the key their lock is found by. */
export async function listPartFiles(root: string): Promise<{path: string; key: string; size: number}[]> {
  const names = await readdir(join(root, 'tmp')).catch(() => [] as string[])
  const parts: {path: string; key: string; size: number}[] = []
  for (const name of names.filter((n) => /^[0-9a-f]{32}\.part$/.test(n))) {
    const info = await stat(join(root, 'tmp', name)).catch(() => undefined)
    if (info) parts.push({path: join(root, 'tmp', name), key: name.slice(0, -'.part'.length), size: info.size})
  }
  return parts
}

/** A fresh folder for unpacking, inside the cache so that the final rename stays on one file system. */
export async function createWorkDir(root: string): Promise<string> {
  const dir = join(root, 'tmp')
  await mkdir(dir, {recursive: true})
  return mkdtemp(join(dir, `${process.pid}-work-`))
}

/**
 * Removes what dead processes left in tmp/: unpacking folders and one-off temp files after a day,
 * resumable part files (and their state) after a week without a write. A live download touches
 * its part file all the time, so it is never taken.
 */
export async function removeStaleTemps(root: string, now: Date, maxAgeMs = 24 * 60 * 60 * 1000): Promise<string[]> {
  const dir = join(root, 'tmp')
  const names = await readdir(dir).catch(() => [] as string[])
  const removed: string[] = []
  for (const name of names) {
    const path = join(dir, name)
    const info = await stat(path).catch(() => undefined)
    if (!info) continue
    const resumable = /^[0-9a-f]{32}\.part(\.json)?$/.test(name)
    const limit = resumable ? 7 * maxAgeMs : maxAgeMs
    if (now.getTime() - info.mtimeMs > limit) {
      await rm(path, {recursive: true, force: true})
      removed.push(path)
    }
  }
  return removed
}
