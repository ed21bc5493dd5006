import {mkdir, open, rm, stat, truncate} from 'node:fs/promises'
import {dirname} from 'node:path'
import type {Readable} from 'node:stream'

import {HTTPError} from 'got'

import {InterruptedError, VmError} from '../errors.js'
import {DEFAULT_TIMEOUTS, explainTransferFailure, isAbort, requestStream, type TransferTimeouts} from './fetch.js'
import {FileHasher} from './file-hasher.js'
import {contentLength, ifRangeValue, parseContentRange, validatorOf, type Validator} from './http-range.js'
import {cacheWriteError, PartWriter, syncFile, writeBody} from './part-writer.js'
import {freeBytes} from './free-space.js'
import {formatBytes, type ProgressReporter} from './progress.js'
import {readResumeState, removeResumeState, writeResumeState, type ResumeState} from './resume-state.js'
import {backoffDelay, DEFAULT_RETRY, formatDelay, judge, sleep, TransientError, type RetryPolicy} from './retry.js'
import {allowedSize, sizeError, sizeLimits, sizeProblem, type SizeLimits} from './size-limit.js'

/**
 * Downloads that always arrive: one file from a list of URLs (the image, then its mirrors) into a
 * part file that survives any failure, Ctrl-C and kill -9, resumed with HTTP Range where it
 * stopped, hashed on the way (file-hasher.ts), with retries and backoff (retry.ts).
 *
 * Decisions worth knowing:
 * - Resume sends `Range: bytes=N-` and `If-Range` with the validator (strong ETag, else
 *   Last-Modified) of the response the part's bytes came from. Only a 206 whose Content-Range starts
 *   at N is appended; a 200 means "not resumable, or the file changed": the part is truncated and
 *   this very response is written from byte 0 (hashing starts over with it).
 * - 416 with `Content-Range: bytes *\/N` where N is the part's size: the part is already complete
 *   (the last run died after the last byte). Any other 416: start over from zero.
 * - A mirror switch resumes WITHOUT If-Range: a validator is one server's name for one version
 *   (nginx's ETag is mtime and size, for example), so sending A's ETag to B would make every mirror
 *   switch a restart. The 206 must then agree on the file's total size, and the caller's digest check
 *   catches a mixed file; on a mismatch of a resumed file it discards the part and tries once more.
 *   After the switch B's own validator is recorded, so B's later resumes use If-Range again.
 * - Without any validator (no ETag, no Last-Modified), resume works the same way: a Range without
 *   If-Range, the total size must agree, and the digest is the final judge (curl -C - does no more).
 * - A try that moved the part forward starts the URL's count of tries again: a long download on a
 *   link that breaks every few minutes keeps going, while a URL that never gets further fails over.
 */

export type {RetryPolicy} from './retry.js'

export type ResumableDownloadOptions = {
  /** The image URL then its mirrors (http/https), tried in order. */
  readonly urls: readonly string[]
  /** Where the bytes accumulate; `${partPath}.json` holds the resume state. Survives failures and kill -9. */
  readonly partPath: string
  /** For the progress display and messages, e.g. "Downloading debian-12". */
  readonly label: string
  /** sha256 is always computed; sha512 too when asked. */
  readonly sha512: boolean
  readonly progress: ProgressReporter
  readonly signal?: AbortSignal
  readonly timeouts?: TransferTimeouts
  /** Defaults to DEFAULT_RETRY: 5 tries a URL, 1 s doubling to 30 s, jittered. */
  readonly retry?: RetryPolicy
  /** One line per retry, resume and mirror switch, e.g. "... at 312 MiB; resuming in 2 s (attempt 2 of 5)". */
  readonly log?: (line: string) => void
  /** The size limit and the free space kept (size-limit.ts); by default 64 GiB or VM_BOX_MAX_BYTES, 2 GiB kept free. */
  readonly limits?: SizeLimits
}

export type DownloadedFile = {
  /** The part file, complete and fsynced; the caller verifies, then renames or discards it. */
  readonly path: string
  readonly size: number
  readonly sha256: string
  readonly sha512?: string
  /** The URL that completed the file. */
  readonly url: string
  /** Bytes received over the network in this call (a restart from zero counts what it threw away). */
  readonly fetchedBytes: number
  /** Bytes already in the part file when this call started, and kept. */
  readonly resumedFrom: number
}

/**
 * Completes the file at `partPath` from `urls` and returns its size and digests. The caller holds
 * a lock on `partPath` (no two writers). Throws BOX_DOWNLOAD_FAILED when every URL failed (naming
 * each with its last error), BOX_CACHE_WRITE_FAILED when the part cannot be written, and
 * InterruptedError when `signal` fires. The part and its state are kept after every failure
 * (unless not one byte arrived: then there is nothing to resume and both are removed).
 */
export async function downloadResumable(options: ResumableDownloadOptions): Promise<DownloadedFile> {
  if (options.urls.length === 0) throw new VmError(`${options.label}: no URL to download from.`, {code: 'BOX_DOWNLOAD_FAILED'})
  if (options.signal?.aborted) throw new InterruptedError()
  const download = await ResumableDownload.prepare(options)
  return download.run()
}

/** Removes the part file and its state (after a commit or a verification failure). */
export async function discardPartial(partPath: string): Promise<void> {
  await rm(partPath, {force: true})
  await removeResumeState(partPath)
}

/** Both validators known, of the same kind, and different: the server's file is not the one the part began with. */
function changed(before: Validator | undefined, now: Validator | undefined): boolean {
  if (!before || !now) return false
  if ('etag' in before && 'etag' in now) return before.etag !== now.etag
  if ('lastModified' in before && 'lastModified' in now) return before.lastModified !== now.lastModified
  return false
}

/** How one try ended when it did not throw. */
type Outcome = 'complete' | 'again-now'

type UrlFailure = {readonly url: string; readonly error: unknown; readonly attempts: number}

class ResumableDownload {
  private hasher: FileHasher
  private progressStarted = false
  private fetchedBytes = 0
  private resumeAnnounced = false

  private constructor(
    private readonly options: ResumableDownloadOptions,
    private state: ResumeState | undefined,
    /** Bytes in the part file, all good: the next Range starts here. */
    private size: number,
    private readonly resumedFrom: number,
  ) {
    this.hasher = this.newHasher()
  }

  /** Reads what an earlier call left; anything that does not fit this call's URLs starts over. */
  static async prepare(options: ResumableDownloadOptions): Promise<ResumableDownload> {
    const {partPath, urls} = options
    try {
      await mkdir(dirname(partPath), {recursive: true})
      let state = await readResumeState(partPath, urls)
      const info = await stat(partPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined
        throw error
      })
      let kept = state && info?.isFile() ? info.size : 0
      if (state?.totalBytes !== undefined && kept > state.totalBytes) kept = 0 // longer than the file: not ours
      if (kept === 0) {
        // Truncate first, then forget the state: a crash in between leaves an empty part, which is a fresh start.
        const handle = await open(partPath, 'w', 0o600)
        await handle.close()
        await removeResumeState(partPath)
        state = undefined
      }
      return new ResumableDownload(options, state, kept, kept)
    } catch (error) {
      throw cacheWriteError(error, partPath)
    }
  }

  async run(): Promise<DownloadedFile> {
    const {urls, log} = this.options
    const failures: UrlFailure[] = []
    try {
      if (this.state?.totalBytes !== undefined && this.size === this.state.totalBytes && this.size > 0) {
        // The last run died after the last byte: nothing to fetch. The caller's digest check is the judge.
        return await this.complete(this.state.url)
      }
      for (const [index, url] of urls.entries()) {
        const failure = await this.tryUrl(url)
        if (!failure) return await this.complete(url)
        failures.push(failure)
        const next = urls[index + 1]
        if (next) log?.(`${url} failed: ${explainTransferFailure(failure.error).reason}; trying the next mirror, ${next}`)
      }
      throw this.allFailed(failures)
    } catch (error) {
      await this.hasher.stop()
      if (this.progressStarted) this.options.progress.fail?.()
      // An empty part resumes nothing: leave no litter after a 404 or a refused connection. A part
      // stopped at the size limit would only be stopped there again. (One stopped for lack of
      // space is kept: it resumes once space is freed.)
      const tooLarge = error instanceof VmError && error.code === 'BOX_TOO_LARGE'
      if (this.size === 0 || tooLarge) await discardPartial(this.options.partPath).catch(() => undefined)
      throw this.options.signal?.aborted || isAbort(error) ? new InterruptedError() : error
    }
  }

  /** Tries one URL until the file is complete (undefined) or the URL is given up (its failure). */
  private async tryUrl(url: string): Promise<UrlFailure | undefined> {
    const policy = this.options.retry ?? DEFAULT_RETRY
    let attempts = 0
    for (;;) {
      attempts++
      const before = this.size
      try {
        let outcome: Outcome
        do outcome = await this.attempt(url)
        while (outcome === 'again-now')
        return undefined
      } catch (error) {
        if (this.options.signal?.aborted || isAbort(error)) throw new InterruptedError()
        const verdict = judge(error)
        if (verdict.action === 'fatal') throw error
        if (verdict.action === 'next-url') return {url, error, attempts}
        if (this.size > before) attempts = 1 // it got further: a new series of tries, from the shortest wait
        if (attempts >= policy.attemptsPerUrl) return {url, error, attempts}
        const delay = backoffDelay(attempts, policy, verdict.retryAfterMs)
        const where = this.size > 0 ? ` at ${formatBytes(this.size)}` : ''
        const verb = this.size > 0 ? 'resuming' : 'retrying'
        this.options.log?.(
          `${url}: ${explainTransferFailure(error).reason}${where}; ${verb} in ${formatDelay(delay)} ` +
            `(attempt ${attempts + 1} of ${policy.attemptsPerUrl})`,
        )
        await sleep(delay, this.options.signal)
      }
    }
  }

  /**
   * One request and its body. Returns 'complete' when the part holds the whole file, 'again-now'
   * when the part was reset or the server sent a shorter range (the next request goes out at once).
   * Throws for anything the retry loop judges.
   */
  private async attempt(url: string): Promise<Outcome> {
    const resuming = this.size > 0
    const sameSource = this.state?.url === url
    const headers: Record<string, string> = {}
    if (resuming) {
      headers.range = `bytes=${this.size}-`
      if (sameSource && this.state?.validator) headers['if-range'] = ifRangeValue(this.state.validator)
    }
    let response: Awaited<ReturnType<typeof requestStream>>
    try {
      response = await requestStream(url, {headers, timeouts: this.options.timeouts ?? DEFAULT_TIMEOUTS, signal: this.options.signal})
    } catch (error) {
      if (resuming && error instanceof HTTPError && error.response.statusCode === 416) return this.unsatisfiable(url, error)
      throw error
    }
    const {stream, statusCode} = response
    try {
      if (statusCode === 206) {
        if (!resuming) throw new Error(`the server answered a request for the whole file with part of it (HTTP 206)`)
        return await this.appendRange(url, stream, response.headers)
      }
      if (statusCode !== 200) throw new Error(`unexpected HTTP ${statusCode} for a download`)
      return await this.startOver(url, stream, response.headers, resuming)
    } finally {
      stream.destroy()
    }
  }

  /** A 206: append it if it is the range asked for, of the same file. */
  private async appendRange(url: string, stream: Readable, headers: Record<string, string | string[] | undefined>): Promise<Outcome> {
    const range = parseContentRange(headers['content-range'])
    const known = this.state?.totalBytes
    if (!range || 'unsatisfied' in range || range.start !== this.size) {
      return this.reset(`${url} sent bytes ${String(headers['content-range'] ?? '(no Content-Range)')} instead of ${this.size}-`)
    }
    if (known !== undefined && range.total !== undefined && range.total !== known) {
      return this.reset(`${url} now has ${formatBytes(range.total)} instead of ${formatBytes(known)}: the file changed`)
    }
    if (this.state?.url === url && changed(this.state.validator, validatorOf(headers))) {
      // A server that honours Range but ignores If-Range would otherwise glue two versions together.
      return this.reset(`${url} sent the rest of another version of the file`)
    }
    const total = known ?? range.total
    if (this.state?.url !== url || !this.state.validator) {
      // A mirror switch (or a first validator): from now on resumes ask this server with its own validator.
      await this.saveState({version: 1, urls: this.options.urls, url, validator: validatorOf(headers), totalBytes: total})
    }
    if (!this.resumeAnnounced && this.size === this.resumedFrom) {
      this.resumeAnnounced = true
      const of = total === undefined ? '' : ` of ${formatBytes(total)}`
      this.options.log?.(`${this.options.label}: resuming at ${formatBytes(this.size)}${of} from ${url}`)
    }
    await this.receive(stream, total, url)
    if (this.size < range.end + 1) throw new TransientError(`the server closed the connection at ${formatBytes(this.size)}`)
    // A server may send less than asked ("bytes N-M/T" with M < T-1): ask for the rest at once.
    return total !== undefined && this.size < total ? 'again-now' : 'complete'
  }

  /** A 200: the whole file from byte 0. Replaces whatever the part held (a changed file, or a server without Range). */
  private async startOver(
    url: string,
    stream: Readable,
    headers: Record<string, string | string[] | undefined>,
    resuming: boolean,
  ): Promise<Outcome> {
    if (resuming) {
      this.options.log?.(
        `${url} sent the whole file instead of the rest (the file changed, or the server cannot resume); ` +
          `starting again from zero instead of ${formatBytes(this.size)}`,
      )
      await this.truncateToZero()
    }
    const total = contentLength(headers)
    await this.saveState({version: 1, urls: this.options.urls, url, validator: validatorOf(headers), totalBytes: total})
    await this.receive(stream, total, url)
    if (total !== undefined && this.size < total) {
      throw new TransientError(`the server closed the connection at ${formatBytes(this.size)} of ${formatBytes(total)}`)
    }
    return 'complete'
  }

  /** A 416: either the part is already whole, or it does not fit the file: start over. */
  private async unsatisfiable(url: string, error: HTTPError): Promise<Outcome> {
    const range = parseContentRange(error.response.headers['content-range'])
    const known = this.state?.totalBytes
    if (range && 'unsatisfied' in range && range.total === this.size && (known === undefined || known === this.size)) {
      return 'complete'
    }
    const size = range && 'unsatisfied' in range ? formatBytes(range.total) : 'a different size'
    return this.reset(`${url} has ${size}, the partial download ${formatBytes(this.size)}`)
  }

  /** Empties the part and forgets its state; the caller's next request is a plain GET. */
  private async reset(why: string): Promise<Outcome> {
    this.options.log?.(`${why}; starting again from zero`)
    await this.truncateToZero()
    await removeResumeState(this.options.partPath).catch((error: unknown) => {
      throw cacheWriteError(error, this.options.partPath)
    })
    this.state = undefined
    return 'again-now'
  }

  private async truncateToZero(): Promise<void> {
    await this.hasher.stop() // it reads the file: stop it before the bytes go
    try {
      await truncate(this.options.partPath, 0)
    } catch (error) {
      throw cacheWriteError(error, this.options.partPath)
    }
    this.size = 0
    this.hasher = this.newHasher()
    if (this.progressStarted) this.options.progress.update(0)
  }

  private async saveState(state: ResumeState): Promise<void> {
    try {
      await writeResumeState(this.options.partPath, state)
    } catch (error) {
      throw cacheWriteError(error, this.options.partPath)
    }
    this.state = state
  }

  /**
   * Streams a body into the part from its current end. A known total must fit the size limit and
   * the free space (less the reserve) before a byte is written; the part stops growing at
   * whichever comes first (BOX_TOO_LARGE, BOX_NO_SPACE).
   */
  private async receive(stream: Readable, total: number | undefined, url: string): Promise<void> {
    const {progress, label, partPath, signal} = this.options
    const limits = this.options.limits ?? sizeLimits()
    const dir = dirname(partPath)
    const free = await freeBytes(dir).catch(() => Number.POSITIVE_INFINITY)
    const subject = `The download of ${url}`
    const known = total === undefined ? undefined : sizeProblem(total, this.size, free, limits)
    if (known) throw sizeError(known, subject, dir, limits)
    const maxSize = allowedSize(this.size, free, limits)
    const start = this.size
    const limitError = (size: number) =>
      sizeError(size > limits.maxBytes ? {kind: 'too-large'} : {kind: 'no-space', freeBytes: free - (this.size - start)}, subject, dir, limits)
    if (!this.progressStarted) {
      progress.start(label, total, this.size)
      this.progressStarted = true
    }
    const writer = new PartWriter({
      path: partPath,
      offset: this.size,
      maxSize,
      limitError,
      onWritten: (size) => {
        this.fetchedBytes += size - this.size
        this.size = size
        this.hasher.advance(size)
        progress.update(size)
      },
    })
    await writeBody(stream, writer, signal)
  }

  private async complete(url: string): Promise<DownloadedFile> {
    const {partPath, progress, label} = this.options
    try {
      // Durable before anyone renames it into the cache: a power cut must not leave a verified name on unwritten blocks.
      await syncFile(partPath)
      this.hasher.advance(this.size)
      const {size, sha256, sha512} = await this.hasher.finish(this.size)
      if (size !== this.size) throw new Error(`hashed ${size} bytes of ${this.size}`)
      if (!this.progressStarted) progress.start(label, this.size, this.size)
      progress.finish()
      this.progressStarted = false
      const digests = sha512 === undefined ? {sha256} : {sha256, sha512}
      return {path: partPath, size, ...digests, url, fetchedBytes: this.fetchedBytes, resumedFrom: this.resumedFrom}
    } catch (error) {
      throw cacheWriteError(error, partPath)
    }
  }

  private newHasher(): FileHasher {
    const hasher = new FileHasher(this.options.partPath, this.options.sha512)
    hasher.advance(this.size)
    return hasher
  }

  /** BOX_DOWNLOAD_FAILED naming every URL and why it failed; the part stays for the next run. */
  private allFailed(failures: readonly UrlFailure[]): VmError {
    const kept =
      this.size > 0
        ? ` The ${formatBytes(this.size)} downloaded so far are kept; the next run resumes from there.`
        : ''
    const last = failures.at(-1)!
    const lastExplained = explainTransferFailure(last.error)
    const tries = (failure: UrlFailure) => (failure.attempts === 1 ? '1 attempt' : `${failure.attempts} attempts`)
    if (failures.length === 1) {
      return new VmError(`Download of ${last.url} failed: ${lastExplained.reason}.`, {
        code: 'BOX_DOWNLOAD_FAILED',
        cause: last.error,
        detail: `Gave up after ${tries(last)}.`,
        hint: `${lastExplained.hint ?? 'Run the command again.'}${kept}`,
      })
    }
    return new VmError(`Download of ${this.options.urls[0]} failed from all ${failures.length} URLs (the image and its mirrors).`, {
      code: 'BOX_DOWNLOAD_FAILED',
      cause: last.error,
      detail: failures.map((failure) => `  ${failure.url}: ${explainTransferFailure(failure.error).reason} (${tries(failure)})`).join('\n'),
      hint: `Check the network and the URLs above, then run the command again.${kept}`,
    })
  }
}
