import {randomBytes} from 'node:crypto'
import {chmod, mkdir, readdir, readFile, rename, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'

import type {VmHome} from '../home.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {isHexDigest, type DigestAlgorithm} from './types.js'

/**
 * The box cache, keyed by content:
 *
 * ```
 * <cacheDir>/boxes/sha256/<hex>/image       the verified image, read-only
 * <cacheDir>/boxes/sha256/<hex>/meta.json   CacheMeta; an entry exists only once this is written
 * <cacheDir>/boxes/tmp/<random>.part        downloads in flight (never looked up)
 * ```
 *
 * Only verified bytes are ever renamed under sha256/. Writers use unique temp names and atomic
 * renames, so two processes fetching the same box cannot corrupt each other; at worst both download
 * it. A cross-process lock per entry (one download, not two) comes with the locking work.
 */

export type CacheMeta = {
  readonly sha256: string
  /** Recorded when the box was verified against a sha512 (Debian); lookups by sha512 need it. */
  readonly sha512?: string
  readonly size: number
  /** Where the bytes came from most recently; the offline fallback looks entries up by it. */
  readonly url: string
  readonly name: string
  /** ISO 8601. */
  readonly fetchedAt: string
  readonly lastUsedAt: string
}

export type CacheEntry = {readonly dir: string; readonly imagePath: string; readonly meta: CacheMeta}

/** `<cacheDir>/boxes`. */
export function boxCacheRoot(home: VmHome): string {
  return join(home.cacheDir, 'boxes')
}

/** Every complete entry. Entries with a missing, unparsable or inconsistent meta.json or image are skipped. */
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
  let meta: unknown
  try {
    meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'))
  } catch {
    return undefined // not committed yet, or damaged: a new download of the same bytes rewrites it
  }
  if (!isMeta(meta) || meta.sha256 !== name) return undefined
  const imagePath = join(dir, 'image')
  const info = await stat(imagePath).catch(() => undefined)
  // A size check is cheap and catches a truncated or replaced file; re-hashing is for `box verify`.
  return info?.isFile() && info.size === meta.size ? {dir, imagePath, meta} : undefined
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
    typeof meta.lastUsedAt === 'string'
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
 * Moves a VERIFIED temp file into the cache and records its meta. If the entry's image already
 * exists with the same size (another process won the race, or only meta.json was lost), the temp
 * file is discarded: the path is the content's digest, so the bytes are the same. Digests the
 * old meta.json knew and this one does not (sha512) are kept.
 */
export async function commitEntry(root: string, tempPath: string, meta: CacheMeta): Promise<CacheEntry> {
  const dir = join(root, 'sha256', meta.sha256)
  await mkdir(dir, {recursive: true})
  const imagePath = join(dir, 'image')
  const existing = await stat(imagePath).catch(() => undefined)
  if (existing?.isFile() && existing.size === meta.size) {
    await rm(tempPath, {force: true})
  } else {
    // Read-only: overlays use it as their backing file, and nothing may change it after verification.
    await chmod(tempPath, 0o444)
    await rename(tempPath, imagePath)
  }
  const previous = await readEntry(dir, meta.sha256)
  const {sha512: _given, ...rest} = meta
  const sha512 = meta.sha512 ?? previous?.meta.sha512
  const merged: CacheMeta = sha512 ? {...rest, sha512} : rest
  await writeFileAtomic(join(dir, 'meta.json'), `${JSON.stringify(merged, null, 2)}\n`)
  return {dir, imagePath, meta: merged}
}

/** Records a use (for a future `box prune`). */
export async function touchEntry(entry: CacheEntry, now: Date): Promise<CacheEntry> {
  const meta = {...entry.meta, lastUsedAt: now.toISOString()}
  await writeFileAtomic(join(entry.dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`)
  return {...entry, meta}
}

/** Removes downloads in flight that nobody has written to for maxAgeMs: their process died. */
export async function removeStaleTemps(root: string, now: Date, maxAgeMs = 24 * 60 * 60 * 1000): Promise<void> {
  const dir = join(root, 'tmp')
  const names = await readdir(dir).catch(() => [])
  for (const name of names.filter((n) => n.endsWith('.part'))) {
    const info = await stat(join(dir, name)).catch(() => undefined)
    if (info && now.getTime() - info.mtimeMs > maxAgeMs) await rm(join(dir, name), {force: true})
  }
}
