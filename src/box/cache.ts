import {rm} from 'node:fs/promises'

import {InterruptedError, VmError} from '../errors.js'
import type {VmHome} from '../home.js'
import {findDigest, parseChecksumFile} from './checksums.js'
import {copyHashing} from './download.js'
import {fetchText, type TransferTimeouts} from './fetch.js'
import {imageFileName, parseLocation, type Location} from './location.js'
import type {ProgressReporter} from './progress.js'
import {
  boxCacheRoot,
  commitEntry,
  findByDigest,
  findNewestByUrl,
  removeStaleTemps,
  touchEntry,
  type CacheEntry,
} from './store.js'
import type {BoxRequest, CachedBox, DigestAlgorithm} from './types.js'

export type {BoxRequest, CachedBox} from './types.js'

export type EnsureBoxOptions = {
  readonly home: VmHome
  readonly signal?: AbortSignal
  readonly progress: ProgressReporter
  /** Warnings for the user, one line each. */
  readonly log: (line: string) => void
  /** Defaults to DEFAULT_TIMEOUTS (fetch.ts); tests shorten them. */
  readonly timeouts?: TransferTimeouts
  /** Clock for fetchedAt/lastUsedAt. */
  readonly now?: () => Date
}

type Expected = {readonly algorithm: DigestAlgorithm; readonly digest: string}

/**
 * Makes sure the image for `request` is in the box cache, verified, and returns it. Idempotent.
 *
 * 1. The expected digest: pinned, or read from the distribution's checksum file (fetched fresh every
 *    time, so a re-published "latest" image is noticed). When that file cannot be fetched, the
 *    newest cached image from the same URL is used with a warning (offline use).
 * 2. A cache entry with that digest is a hit: no transfer.
 * 3. Otherwise the image is streamed into tmp/, hashed on the way, compared, and only then renamed
 *    into the cache. A local file without a checksum is hashed and accepted as it is.
 *
 * Throws BOX_UNVERIFIED (http without a checksum), BOX_CHECKSUM_MISSING (the checksum file does
 * not list the image), BOX_CHECKSUM_AMBIGUOUS, BOX_CHECKSUM_MISMATCH, BOX_DOWNLOAD_FAILED,
 * BOX_FILE_UNREADABLE, BOX_CACHE_WRITE_FAILED, and InterruptedError when `signal` fires. Nothing
 * is left in tmp/ after any of them.
 */
export async function ensureBox(request: BoxRequest, options: EnsureBoxOptions): Promise<CachedBox> {
  const root = boxCacheRoot(options.home)
  const now = options.now ?? (() => new Date())
  const location = parseLocation(request.url)
  if (!request.checksum && location.kind === 'http') {
    throw new VmError(`Refusing to download ${request.url} without a checksum.`, {code: 'BOX_UNVERIFIED', exitCode: 2})
  }
  const expected = await expectedDigest(request, location, root, options)
  if (expected && 'offline' in expected) return hit(expected.offline, request, now, options.log)
  if (expected) {
    const cached = await findByDigest(root, expected.algorithm, expected.digest)
    if (cached) return hit(cached, request, now, options.log)
  }
  return fetchIntoCache(request, location, expected, root, options, now)
}

/** The digest to verify against; or, when the checksum file is out of reach, the cached copy to use instead. */
async function expectedDigest(
  request: BoxRequest,
  location: Location,
  root: string,
  options: EnsureBoxOptions,
): Promise<Expected | {offline: CacheEntry} | undefined> {
  const checksum = request.checksum
  if (!checksum) return undefined
  if ('digest' in checksum) return {algorithm: checksum.algorithm, digest: checksum.digest.toLowerCase()}
  let text: string
  try {
    text = await fetchText(parseLocation(checksum.checksumUrl), {timeouts: options.timeouts, signal: options.signal})
  } catch (error) {
    const fallback = error instanceof InterruptedError ? undefined : await findNewestByUrl(root, request.url)
    if (!fallback) throw error
    const day = fallback.meta.fetchedAt.slice(0, 10)
    options.log(
      `Warning: ${(error as Error).message} ` +
        `Using the copy of ${request.name} cached on ${day} without checking for a newer image.`,
    )
    return {offline: fallback}
  }
  const fileName = imageFileName(location)
  const source = `The checksum file ${checksum.checksumUrl}`
  const entry = findDigest(parseChecksumFile(text), fileName, checksum.algorithm, source)
  if (!entry) {
    throw new VmError(`${source} does not list ${fileName}.`, {
      code: 'BOX_CHECKSUM_MISSING',
      hint: 'Check that the checksum file belongs to the same folder and release as the image.',
    })
  }
  return entry
}

async function fetchIntoCache(
  request: BoxRequest,
  location: Location,
  expected: Expected | undefined,
  root: string,
  options: EnsureBoxOptions,
  now: () => Date,
): Promise<CachedBox> {
  // Downloads whose process was killed leave .part files behind; nothing else removes them.
  await removeStaleTemps(root, now()).catch(() => undefined)
  const http = location.kind === 'http'
  const file = await copyHashing(location, root, {
    label: `${http ? 'Downloading' : 'Copying'} ${request.name}`,
    sha512: expected?.algorithm === 'sha512',
    progress: options.progress,
    signal: options.signal,
    timeouts: options.timeouts,
  })
  try {
    const actual = expected ? file[expected.algorithm] : undefined
    if (expected && actual !== expected.digest) {
      const how = http ? 'downloaded' : 'copied'
      throw new VmError(`The image ${how} from ${request.url} does not match its ${expected.algorithm} checksum.`, {
        code: 'BOX_CHECKSUM_MISMATCH',
        detail: `expected ${expected.digest}\nactual   ${actual}`,
        hint:
          'The transfer was damaged, or the image changed after its checksum was published. ' +
          'Run the command again; if it fails the same way, the server is serving a different file.',
      })
    }
    const stamp = now().toISOString()
    const entry = await commitEntry(root, file.tempPath, {
      sha256: file.sha256,
      sha512: file.sha512,
      size: file.size,
      url: request.url,
      name: request.name,
      fetchedAt: stamp,
      lastUsedAt: stamp,
    })
    return toCachedBox(entry, request, false)
  } finally {
    await rm(file.tempPath, {force: true}) // already gone after a commit; this covers every failure above
  }
}

async function hit(
  entry: CacheEntry,
  request: BoxRequest,
  now: () => Date,
  log: (line: string) => void,
): Promise<CachedBox> {
  // lastUsedAt only guides a future prune; failing to record it must not fail the command.
  const touched = await touchEntry(entry, now()).catch((error: Error) => {
    log(`Warning: could not record the use of ${entry.dir}: ${error.message}`)
    return entry
  })
  return toCachedBox(touched, request, true)
}

function toCachedBox({meta, imagePath}: CacheEntry, request: BoxRequest, fromCache: boolean): CachedBox {
  return {sha256: meta.sha256, path: imagePath, size: meta.size, name: request.name, fromCache}
}
