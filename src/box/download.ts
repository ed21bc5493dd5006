import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {rm} from 'node:fs/promises'
import {dirname} from 'node:path'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {InterruptedError, VmError} from '../errors.js'
import {fileError, openSource, transferError, type TransferTimeouts} from './fetch.js'
import type {Location} from './location.js'
import {freeBytes} from './free-space.js'
import type {ProgressReporter} from './progress.js'
import {allowedSize, sizeError, sizeLimits, sizeProblem, type SizeLimits} from './size-limit.js'
import {createTempPath} from './store.js'

// Downloads over http(s) go through the resumable path; copyHashing stays for local files.
export {discardPartial, downloadResumable} from './resumable-download.js'
export type {DownloadedFile, ResumableDownloadOptions, RetryPolicy} from './resumable-download.js'

export type HashedFile = {
  /** Inside the cache's tmp/ folder; the caller commits or removes it. */
  readonly tempPath: string
  readonly size: number
  readonly sha256: string
  /** Only when asked for. */
  readonly sha512?: string
}

export type CopyHashingOptions = {
  /** For the progress display, e.g. "Downloading debian-12". */
  readonly label: string
  /** sha256 is always computed (it names the cache entry); sha512 only when the expected digest is one. */
  readonly sha512: boolean
  readonly progress: ProgressReporter
  readonly signal?: AbortSignal
  readonly timeouts?: TransferTimeouts
  /** The size limit and the free space kept (size-limit.ts); by default 64 GiB or VM_BOX_MAX_BYTES, 2 GiB kept free. */
  readonly limits?: SizeLimits
}

/**
 * Streams `location` (a local file, or http(s) in one attempt) into a new temp file in the cache,
 * hashing on the way: one pass, the bytes are never read back. The file is fsynced before this
 * returns, so a verified file can be renamed into place as it is. On any failure or abort the temp
 * file is removed before the error is thrown. Network downloads that must survive failures use
 * downloadResumable instead.
 */
export async function copyHashing(
  location: Location,
  cacheRoot: string,
  options: CopyHashingOptions,
): Promise<HashedFile> {
  if (options.signal?.aborted) throw new InterruptedError()
  const tempPath = await createTempPath(cacheRoot)
  const source = location.kind === 'http' ? location.url : location.path
  let started = false
  try {
    const opened = await openSource(location, {timeouts: options.timeouts, signal: options.signal})
    const limits = options.limits ?? sizeLimits()
    const dir = dirname(tempPath)
    const free = await freeBytes(dir).catch(() => Number.POSITIVE_INFINITY)
    const subject = location.kind === 'http' ? `The download of ${source}` : `Copying ${source} into the box cache`
    const known = opened.totalBytes === undefined ? undefined : sizeProblem(opened.totalBytes, 0, free, limits)
    if (known) {
      opened.stream.destroy()
      throw sizeError(known, subject, dir, limits)
    }
    const maxSize = allowedSize(0, free, limits)
    const sha256 = createHash('sha256')
    const sha512 = options.sha512 ? createHash('sha512') : undefined
    let size = 0
    options.progress.start(options.label, opened.totalBytes)
    started = true
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (size + chunk.length > maxSize) {
          const problem = size + chunk.length > limits.maxBytes ? ({kind: 'too-large'} as const) : ({kind: 'no-space', freeBytes: free - size} as const)
          return done(sizeError(problem, subject, dir, limits))
        }
        sha256.update(chunk)
        sha512?.update(chunk)
        size += chunk.length
        options.progress.update(size)
        done(null, chunk)
      },
    })
    // flush: true fsyncs before the stream closes (Node ≥ 20.10). A FileHandle stream with
    // autoClose: false would let us sync by hand, but handle.close() then never returns.
    const sink = createWriteStream(tempPath, {flags: 'wx', mode: 0o600, flush: true})
    await pipeline(opened.stream, hasher, sink, {signal: options.signal}).catch((error: unknown) => {
      throw classify(error, location, source, tempPath)
    })
    options.progress.finish()
    return {tempPath, size, sha256: sha256.digest('hex'), sha512: sha512?.digest('hex')}
  } catch (error) {
    if (started) options.progress.fail?.()
    await rm(tempPath, {force: true})
    throw error
  }
}

/** Tells a failure of the source (network, input file) from one of the cache (disk full). */
function classify(error: unknown, location: Location, source: string, tempPath: string): Error {
  const {code, path, name} = (error ?? {}) as {code?: string; path?: string; name?: string}
  if (name === 'AbortError' || code === 'ABORT_ERR') return new InterruptedError()
  const full = code === 'ENOSPC' || code === 'EDQUOT'
  if (path === tempPath || full) {
    return new VmError(`Writing the box ${source} into the cache failed: ${(error as Error).message}.`, {
      code: 'BOX_CACHE_WRITE_FAILED',
      cause: error,
      hint: full ? `Free some space where ${tempPath} lives, then run the command again.` : undefined,
    })
  }
  return location.kind === 'http' ? transferError(error, source) : fileError(error, source)
}
