import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import type {Readable} from 'node:stream'

import got, {HTTPError, RequestError, TimeoutError} from 'got'

import {InterruptedError, VmError} from '../errors.js'
import type {Location} from './location.js'
import {redirectRefusal, redirectRefusedError} from './redirect-policy.js'
import {backoffDelay, formatDelay, judge, sleep, TransientError, type RetryPolicy} from './retry.js'

/**
 * Opening box sources for reading: http(s) through got, local files through fs. Every failure
 * comes out as a VmError that names the URL (or an InterruptedError when the signal fired).
 * openSource and requestStream make one attempt; resumable-download.ts wraps them with retries,
 * Range resume and mirrors, and fetchText retries on its own (small files start over).
 */

export type TransferTimeouts = {
  /** DNS lookup, TCP connect and TLS handshake, each. */
  readonly connectMs: number
  /** From the request sent to the response headers. */
  readonly responseMs: number
  /** Longest silence while the body flows: the stall timeout. There is deliberately no whole-transfer limit. */
  readonly stallMs: number
}

export const DEFAULT_TIMEOUTS: TransferTimeouts = {connectMs: 30_000, responseMs: 60_000, stallMs: 30_000}

/** What is being read, for the error messages. */
export type Subject = 'image' | 'checksum file' | 'signature'

export type OpenOptions = {
  readonly subject?: Subject
  readonly timeouts?: TransferTimeouts
  readonly signal?: AbortSignal
  /** Ask every cache on the way for a fresh copy (checksum files: a stale SHA256SUMS fails a good image). */
  readonly fresh?: boolean
}

export type OpenedSource = {
  /** Not yet flowing; the caller pipes it. */
  readonly stream: Readable
  /** From Content-Length or the file's size; undefined when the server does not say. */
  readonly totalBytes: number | undefined
}

/**
 * Opens `location` and waits for the response headers (or the file's metadata), so that a 404 or a
 * missing file fails here, before anything is written.
 */
export async function openSource(location: Location, options: OpenOptions = {}): Promise<OpenedSource> {
  const subject = options.subject ?? 'image'
  if (location.kind === 'file') {
    const info = await stat(location.path).catch((error: unknown) => {
      throw fileError(error, location.path, subject)
    })
    if (!info.isFile()) {
      throw fileError(Object.assign(new Error('not a regular file'), {code: 'EISDIR'}), location.path, subject)
    }
    return {stream: createReadStream(location.path, {highWaterMark: READ_BYTES}), totalBytes: info.size}
  }
  try {
    const {stream, headers} = await requestStream(location.url, options)
    const length = Number(headers['content-length'])
    return {stream, totalBytes: Number.isSafeInteger(length) && length >= 0 ? length : undefined}
  } catch (error) {
    throw transferError(error, location.url, subject)
  }
}

/** 1 MiB reads of local files: far fewer system calls and stream hops than the 64 KiB default. */
const READ_BYTES = 1024 * 1024

export type RequestOptions = {
  readonly timeouts?: TransferTimeouts
  readonly signal?: AbortSignal
  readonly fresh?: boolean
  /** Extra request headers (Range, If-Range). */
  readonly headers?: Readonly<Record<string, string>>
}

export type OpenedResponse = {
  /** got's stream, not yet flowing; the caller pipes it or destroys it. */
  readonly stream: Readable
  readonly statusCode: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

/**
 * One GET through got, resolved when a 2xx response's headers arrive. Errors are got's own
 * (HTTPError with the response for 4xx/5xx, TimeoutError, RequestError) so that callers can tell
 * them apart; transferError turns them into messages.
 */
export function requestStream(url: string, options: RequestOptions = {}): Promise<OpenedResponse> {
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS
  const stream = got.stream(url, {
    // Hash the bytes exactly as published: no transparent gunzip (and Range resume needs raw bytes).
    decompress: false,
    // One attempt: got's stream retries duplicate content (got issues #1381, #871); callers loop.
    retry: {limit: 0},
    // Image sites redirect to mirrors; never from https down to http (redirect-policy.ts).
    followRedirect: true,
    maxRedirects: 10,
    hooks: {
      beforeRedirect: [
        (next, response) => {
          const from = response.url
          const to = next.url?.toString() ?? ''
          const reason = redirectRefusal(from, to)
          if (reason) throw redirectRefusedError(from, to, reason, url)
        },
      ],
    },
    timeout: {
      lookup: timeouts.connectMs,
      connect: timeouts.connectMs,
      secureConnect: timeouts.connectMs,
      response: timeouts.responseMs,
      // got's `read` timeout runs from the response to the END of the body (timed-out.js), so on a
      // 2 GiB image it would be a whole-transfer deadline. `socket` is Node's idle timer on the
      // socket: it fires only after stallMs without a byte, which is the stall timeout we want.
      socket: timeouts.stallMs,
    },
    headers: {
      'user-agent': 'vm',
      ...(options.fresh ? {'cache-control': 'no-cache', pragma: 'no-cache'} : {}),
      ...options.headers,
    },
    signal: options.signal,
  })
  return new Promise((resolve, reject) => {
    // Stays attached after the response: an error before the caller pipes the stream must not go unheard.
    stream.once('error', (error) => reject(hookError(error)))
    stream.once('response', (response: {statusCode: number; headers: OpenedResponse['headers']}) => {
      resolve({stream, statusCode: response.statusCode, headers: response.headers})
    })
  })
}

/** got wraps what a hook throws in a RequestError; our own refusal is the error to report. */
function hookError(error: unknown): unknown {
  const cause = (error as {cause?: unknown} | undefined)?.cause
  return error instanceof RequestError && cause instanceof VmError ? cause : error
}

/** Checksum files are small: a few quick tries, then the offline fallback (cache.ts) takes over. */
export const TEXT_RETRY: RetryPolicy = {attemptsPerUrl: 3, initialDelayMs: 1000, maxDelayMs: 10_000}

export type FetchTextOptions = OpenOptions & {
  readonly maxBytes?: number
  /** Defaults to TEXT_RETRY; tests shorten it. */
  readonly retry?: RetryPolicy
  /** Told about each retry, one line. */
  readonly log?: (line: string) => void
}

/**
 * A small text file (a checksum list), read whole. Refuses more than maxBytes: it is never an image.
 * Asks caches for a fresh copy unless `fresh: false` (a stale SHA256SUMS fails a good image).
 * Transient failures (a reset, a stall, 5xx, 429) are retried from the start with backoff.
 */
export async function fetchText(location: Location, options: FetchTextOptions = {}): Promise<string> {
  return (await fetchBytes(location, options)).toString('utf8')
}

/** As fetchText, the bytes as they came: a detached signature is binary. */
export async function fetchBytes(location: Location, options: FetchTextOptions = {}): Promise<Buffer> {
  const subject = options.subject ?? 'checksum file'
  if (location.kind === 'file') {
    const {stream} = await openSource(location, {...options, subject})
    return readSmall(stream, location.path, subject, options.maxBytes).catch((error: unknown) => {
      throw fileError(error, location.path, subject)
    })
  }
  const policy = options.retry ?? TEXT_RETRY
  const request = {...options, fresh: options.fresh ?? true}
  for (let attempt = 1; ; attempt++) {
    try {
      const {stream} = await requestStream(location.url, request)
      return await readSmall(stream, location.url, subject, options.maxBytes)
    } catch (error) {
      const verdict = judge(error)
      if (verdict.action !== 'retry' || attempt >= policy.attemptsPerUrl) throw transferError(error, location.url, subject)
      const delay = backoffDelay(attempt, policy, verdict.retryAfterMs)
      const {reason} = explainTransferFailure(error)
      options.log?.(`Fetching ${location.url}: ${reason}; retrying in ${formatDelay(delay)} (attempt ${attempt + 1} of ${policy.attemptsPerUrl})`)
      await sleep(delay, options.signal)
    }
  }
}

async function readSmall(stream: Readable, url: string, subject: Subject, maxBytes = 4 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length
      if (size > maxBytes) {
        throw new VmError(`The ${subject} ${url} is larger than ${maxBytes} bytes.`, {code: 'BOX_DOWNLOAD_FAILED'})
      }
      chunks.push(chunk as Buffer)
    }
  } finally {
    stream.destroy()
  }
  return Buffer.concat(chunks)
}

/** Maps got's errors (and aborts) to what a person can act on. VmErrors pass through. */
export function transferError(error: unknown, url: string, subject: Subject = 'image'): Error {
  if (error instanceof VmError) return error
  if (isAbort(error)) return new InterruptedError()
  const what = subject === 'image' ? 'Download of' : `Fetching the ${subject}`
  const {reason, hint} = explainTransferFailure(error)
  return new VmError(`${what} ${url} failed: ${reason}.`, {code: 'BOX_DOWNLOAD_FAILED', cause: error, hint})
}

/**
 * Why a transfer failed, in words that fit after "Download of URL failed: " (no final period),
 * and what to do about it.
 */
export function explainTransferFailure(error: unknown): {readonly reason: string; readonly hint?: string} {
  if (error instanceof VmError) return {reason: error.message.replace(/\.$/, ''), hint: error.hint}
  if (error instanceof HTTPError) {
    const {statusCode, statusMessage} = error.response
    const hint =
      statusCode === 404 ? 'Check the URL; distributions remove old images when they publish new ones.' : undefined
    return {reason: `HTTP ${statusCode}${statusMessage ? ` ${statusMessage}` : ''}`, hint}
  }
  if (error instanceof TimeoutError) {
    const limit = (error.options.timeout as Record<string, number | undefined>)[error.event] ?? 0
    return error.event === 'socket'
      ? {reason: `the transfer stalled (no data for ${formatDelay(limit)})`, hint: 'Check the network, then run the command again.'}
      : {reason: `timed out waiting for the ${error.event} (${formatDelay(limit)})`}
  }
  if (error instanceof RequestError && error.name === 'ReadError') {
    return {reason: `the connection broke off during the transfer (${error.code})`, hint: 'Run the command again.'}
  }
  if (error instanceof RequestError) {
    // Node's messages usually carry the code already ("connect ECONNREFUSED 127.0.0.1:8080").
    const reason = !error.code || error.message.includes(error.code) ? error.message : `${error.code}: ${error.message}`
    return {reason, hint: 'Check the network, then run the command again.'}
  }
  if (error instanceof TransientError) return {reason: error.message, hint: 'Run the command again.'}
  return {reason: error instanceof Error ? error.message : String(error)}
}

/** Local files: a missing or unreadable file is the user's to fix, so say which file. */
export function fileError(error: unknown, path: string, subject: Subject = 'image'): Error {
  if (error instanceof VmError) return error
  if (isAbort(error)) return new InterruptedError()
  const code = (error as NodeJS.ErrnoException).code
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'not a regular file',
    EACCES: 'permission denied',
  }
  const reason = (code && reasons[code]) ?? (error as Error).message
  const what = subject === 'image' ? 'box image' : subject
  return new VmError(`Cannot read the ${what} ${path}: ${reason}.`, {code: 'BOX_FILE_UNREADABLE', cause: error})
}

export function isAbort(error: unknown): boolean {
  const {name, code} = (error ?? {}) as {name?: string; code?: string}
  return name === 'AbortError' || code === 'ABORT_ERR' || code === 'ERR_ABORTED'
}
