import {rm, stat} from 'node:fs/promises'

import {VmError} from '../errors.js'
import type {Runner} from '../exec/runner.js'
import type {VmHome} from '../home.js'
import {copyHashing, discardPartial, downloadResumable, type RetryPolicy} from './download.js'
import {expectedDigest, readChecksumFile, type Expected} from './expected-digest.js'
import type {TransferTimeouts} from './fetch.js'
import {parseLocation, type Location} from './location.js'
import type {ProgressReporter} from './progress.js'
import {
  boxCacheRoot,
  commitEntry,
  createWorkDir,
  findByDigest,
  partPathFor,
  removeStaleTemps,
  touchEntry,
  type CacheEntry,
} from './store.js'
import {sizeLimits, type SizeLimits} from './size-limit.js'
import {judgeTransport} from './transport-policy.js'
import type {BoxRequest} from './types.js'
import {unpackImage} from './unpack/index.js'

export type {BoxRequest} from './types.js'

export type EnsureBoxOptions = {
  readonly home: VmHome
  /** Runs qemu-img, xz, zstd and tar for unpacking, and gpgv or sqop for signed checksum files. */
  readonly runner: Runner
  readonly signal?: AbortSignal
  readonly progress: ProgressReporter
  /** Warnings and notes for the user, one line each. */
  readonly log: (line: string) => void
  /**
   * `--insecure`: accept a remote image that has no checksum (its digest is computed and trusted),
   * and one whose image and checksum file both come over plain http (with a warning).
   */
  readonly insecure?: boolean
  /** Defaults to DEFAULT_TIMEOUTS (fetch.ts); tests shorten them. */
  readonly timeouts?: TransferTimeouts
  readonly retry?: RetryPolicy
  /** Clock for fetchedAt/lastUsedAt. */
  readonly now?: () => Date
  /** What the download and each unpacked layer may grow to; by default from VM_BOX_MAX_BYTES (size-limit.ts). */
  readonly limits?: SizeLimits
}

/** What ensureBox did, for messages and for the resume measurements. */
export type EnsuredBox = {
  readonly entry: CacheEntry
  /** True when no byte was transferred for this call. */
  readonly fromCache: boolean
  /** Bytes received over the network by this call (0 for a hit or a local file). */
  readonly fetchedBytes: number
}

/**
 * Makes sure the image for `request` is in the box cache, verified and unpacked into one plain
 * qcow2, and returns its entry. The caller holds the entry's lock (see provideBox).
 *
 * 1. The expected digest: pinned, or read from the distribution's checksum file.
 * 2. A cache entry with that digest is a hit: no transfer.
 * 3. Otherwise the source is streamed into tmp/ (resuming an interrupted download), hashed on the
 *    way, compared; only then unpacked (decompress, untar, convert), checked (no backing or data
 *    file, no other format) and renamed into the cache.
 *
 * Throws BOX_UNVERIFIED (http without a checksum, unless insecure), BOX_INSECURE_TRANSPORT (image
 * and checksum file both over plain http, unless insecure; see transport-policy.ts), BOX_CHECKSUM_MISSING,
 * BOX_CHECKSUM_AMBIGUOUS, BOX_CHECKSUM_MISMATCH, BOX_SIGNATURE_BAD, BOX_TOO_LARGE and BOX_NO_SPACE
 * (size-limit.ts), BOX_DOWNLOAD_FAILED, BOX_FILE_UNREADABLE,
 * BOX_CACHE_WRITE_FAILED, the unpacking errors (BOX_ARCHIVE_REJECTED, BOX_IMAGE_REJECTED, ...), and
 * InterruptedError when `signal` fires. A failed or interrupted download keeps its part file for the
 * next attempt; anything that was verified and found wrong is removed; nothing unverified is ever
 * renamed into the cache.
 */
export async function ensureBox(request: BoxRequest, given: EnsureBoxOptions): Promise<EnsuredBox> {
  const options = {...given, limits: given.limits ?? sizeLimits()} // a bad VM_BOX_MAX_BYTES fails here, before any transfer
  const root = boxCacheRoot(options.home)
  const now = options.now ?? (() => new Date())
  const location = parseLocation(request.url)
  refuseUnverified(request, options.insecure)
  const transport = judgeTransport(request, options.insecure)
  if (transport.action === 'refuse') throw transport.error
  if (transport.action === 'warn') options.log(transport.warning)
  const context = {root, signal: options.signal, timeouts: options.timeouts, retry: options.retry, log: options.log, runner: options.runner}
  const expected = await expectedDigest(request, context)
  if (expected && 'offline' in expected) return hit(expected.offline, now, options.log)
  if (expected) {
    const cached = await findByDigest(root, expected.algorithm, expected.digest)
    if (cached) return hit(cached, now, options.log)
  }
  // Downloads whose process was killed long ago leave files behind; nothing else removes them.
  await removeStaleTemps(root, now()).catch(() => undefined)
  return location.kind === 'http'
    ? download(request, expected, root, options, now)
    : copyLocal(request, location, expected, root, options, now)
}

/** A remote image with no checksum at all is refused unless the user said --insecure. Throws BOX_UNVERIFIED. */
export function refuseUnverified(request: BoxRequest, insecure = false): void {
  if (request.checksum || insecure || parseLocation(request.url).kind !== 'http') return
  throw new VmError(`Refusing to download ${request.url} without a checksum.`, {
    code: 'BOX_UNVERIFIED',
    exitCode: 2,
    hint: "Give its sha256 or the distribution's checksum file (--sha256 / --checksum-url, or sha256: / checksum_url: in the Vmfile); --insecure accepts it unverified.",
  })
}

type Fetched = {readonly path: string; readonly size: number; readonly sha256: string; readonly sha512?: string}

async function download(
  request: BoxRequest,
  expected: Expected | undefined,
  root: string,
  options: EnsureBoxOptions,
  now: () => Date,
): Promise<EnsuredBox> {
  const partPath = partPathFor(root, request.url)
  const attempt = () =>
    downloadResumable({
      urls: [request.url, ...(request.mirrors ?? [])],
      partPath,
      label: `Downloading ${request.name}`,
      sha512: expected?.algorithm === 'sha512',
      progress: options.progress,
      signal: options.signal,
      timeouts: options.timeouts,
      retry: options.retry,
      limits: options.limits,
      // On a terminal the bar owns the bottom line; retries are reported above it.
      log: (line) => (options.progress.note ? options.progress.note(line) : options.log(line)),
    })
  let file = await attempt()
  let fetchedBytes = file.fetchedBytes
  let verified = await verify(request, file, expected, options)
  if (!verified.ok && file.resumedFrom > 0) {
    // The kept prefix may belong to an older version of the file: try once from zero.
    options.log(`The resumed download of ${request.name} does not match its checksum; downloading it again from the start.`)
    await discardPartial(partPath)
    file = await attempt()
    fetchedBytes += file.fetchedBytes
    verified = await verify(request, file, expected, options)
  }
  if (!verified.ok) {
    await discardPartial(partPath)
    throw mismatch(request, verified.expected, verified.actual, 'downloaded')
  }
  try {
    const entry = await unpackAndCommit(request, file, file.url, root, options, now)
    return {entry, fromCache: false, fetchedBytes}
  } finally {
    // Verified bytes that were committed, or that unpacking refused: either way not worth resuming.
    await discardPartial(partPath)
  }
}

async function copyLocal(
  request: BoxRequest,
  location: Extract<Location, {kind: 'file'}>,
  expected: Expected | undefined,
  root: string,
  options: EnsureBoxOptions,
  now: () => Date,
): Promise<EnsuredBox> {
  const copied = await copyHashing(location, root, {
    label: `Copying ${request.name}`,
    sha512: expected?.algorithm === 'sha512',
    progress: options.progress,
    signal: options.signal,
    timeouts: options.timeouts,
    limits: options.limits,
  })
  const file = {...copied, path: copied.tempPath}
  try {
    const verified = await verify(request, file, expected, options)
    if (!verified.ok) throw mismatch(request, verified.expected, verified.actual, 'copied')
    return {entry: await unpackAndCommit(request, file, request.url, root, options, now), fromCache: false, fetchedBytes: 0}
  } finally {
    await rm(copied.tempPath, {force: true}) // already gone after a commit; this covers every failure
  }
}

type Verdict = {readonly ok: true} | {readonly ok: false; readonly expected: string; readonly actual: string}

/**
 * Compares the streamed digest with the expected one. On a mismatch against a checksum file, the
 * file is fetched once more, fresh: a proxy's stale SHA256SUMS is the usual cause of a "bad" image.
 */
async function verify(request: BoxRequest, file: Fetched, expected: Expected | undefined, options: EnsureBoxOptions): Promise<Verdict> {
  if (!expected) return {ok: true}
  const actual = file[expected.algorithm]
  if (actual === expected.digest) return {ok: true}
  if (expected.checksumUrl) {
    const root = boxCacheRoot(options.home)
    const again = await readChecksumFile(request, {root, signal: options.signal, timeouts: options.timeouts, retry: options.retry, log: options.log, runner: options.runner})
    if (file[again.algorithm] === again.digest) {
      options.log(`The checksum file ${expected.checksumUrl} had changed since it was first read; the image matches the new one.`)
      return {ok: true}
    }
  }
  return {ok: false, expected: expected.digest, actual: actual ?? '(not computed)'}
}

function mismatch(request: BoxRequest, expected: string, actual: string, how: string): VmError {
  const algorithm = expected.length === 128 ? 'sha512' : 'sha256'
  return new VmError(`The image ${how} from ${request.url} does not match its ${algorithm} checksum.`, {
    code: 'BOX_CHECKSUM_MISMATCH',
    detail: `url      ${request.url}\nexpected ${expected}\nactual   ${actual}`,
    hint:
      'The transfer was damaged, or the image changed after its checksum was published. ' +
      'Run the command again; if it fails the same way, the server is serving a different file.',
  })
}

/** Unpacks a verified source into one checked qcow2 and renames it into the cache. */
async function unpackAndCommit(
  request: BoxRequest,
  file: Fetched,
  url: string,
  root: string,
  options: EnsureBoxOptions,
  now: () => Date,
): Promise<CacheEntry> {
  const workDir = await createWorkDir(root)
  try {
    const image = await unpackImage(file.path, workDir, {runner: options.runner, signal: options.signal, label: request.name, limits: options.limits})
    const {size: imageSize} = await stat(image.path)
    const stamp = now().toISOString()
    return await commitEntry(root, image.path, {
      sha256: file.sha256,
      ...(file.sha512 ? {sha512: file.sha512} : {}),
      size: file.size,
      imageSize,
      virtualSize: image.virtualSize,
      format: image.sourceFormat,
      url,
      name: request.name,
      fetchedAt: stamp,
      lastUsedAt: stamp,
    })
  } finally {
    await rm(workDir, {recursive: true, force: true})
  }
}

async function hit(entry: CacheEntry, now: () => Date, log: (line: string) => void): Promise<EnsuredBox> {
  // lastUsedAt only guides `box list` and prune; failing to record it must not fail the command.
  const touched = await touchEntry(entry, now()).catch((error: Error) => {
    log(`Warning: could not record the use of ${entry.dir}: ${error.message}`)
    return entry
  })
  return {entry: touched, fromCache: true, fetchedBytes: 0}
}
