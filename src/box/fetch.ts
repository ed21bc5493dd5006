import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import type {Readable} from 'node:stream'

import got, {HTTPError, RequestError, TimeoutError} from 'got'

import {InterruptedError, VmError} from '../errors.js'
import type {Location} from './location.js'

/**
 * Opening box sources for reading: http(s) through got, local files through fs. Every failure
 * comes out as a VmError that names the URL (or an InterruptedError when the signal fired).
 * One attempt only: retries, Range resume and mirrors will wrap openSource, not change it.
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
export type Subject = 'image' | 'checksum file'

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
    return {stream: createReadStream(location.path), totalBytes: info.size}
  }
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS
  const stream = got.stream(location.url, {
    // Hash the bytes exactly as published: no transparent gunzip (and Range resume needs raw bytes).
    decompress: false,
    // One attempt. got retries streams only with a 'retry' listener anyway; say so explicitly.
    retry: {limit: 0},
    // Image sites redirect to mirrors.
    followRedirect: true,
    maxRedirects: 10,
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
    headers: {'user-agent': 'vm', ...(options.fresh ? {'cache-control': 'no-cache', pragma: 'no-cache'} : {})},
    signal: options.signal,
  })
  return new Promise((resolve, reject) => {
    // Stays attached after the response: an error before the caller pipes the stream must not go unheard.
    stream.once('error', (error) => reject(transferError(error, location.url, subject)))
    stream.once('response', (response: {headers: Record<string, string | string[] | undefined>}) => {
      const length = Number(response.headers['content-length'])
      resolve({stream, totalBytes: Number.isSafeInteger(length) && length >= 0 ? length : undefined})
    })
  })
}

/** A small text file (a checksum list), read whole. Refuses more than maxBytes: it is never an image. */
export async function fetchText(
  location: Location,
  options: OpenOptions & {readonly maxBytes?: number} = {},
): Promise<string> {
  const url = location.kind === 'http' ? location.url : location.path
  const subject = options.subject ?? 'checksum file'
  const {stream} = await openSource(location, {...options, subject, fresh: true})
  const limit = options.maxBytes ?? 4 * 1024 * 1024
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length
      if (size > limit) {
        throw new VmError(`The ${subject} ${url} is larger than ${limit} bytes.`, {code: 'BOX_DOWNLOAD_FAILED'})
      }
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    stream.destroy()
    throw location.kind === 'http' ? transferError(error, url, subject) : fileError(error, url, subject)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Maps got's errors (and aborts) to what a person can act on. VmErrors pass through. */
export function transferError(error: unknown, url: string, subject: Subject = 'image'): Error {
  if (error instanceof VmError) return error
  if (isAbort(error)) return new InterruptedError()
  const what = subject === 'image' ? 'Download of' : 'Fetching the checksum file'
  const fail = (reason: string, hint?: string) =>
    new VmError(`${what} ${url} failed: ${reason}.`, {code: 'BOX_DOWNLOAD_FAILED', cause: error, hint})
  if (error instanceof HTTPError) {
    const {statusCode, statusMessage} = error.response
    const hint =
      statusCode === 404 ? 'Check the URL; distributions remove old images when they publish new ones.' : undefined
    return fail(`HTTP ${statusCode}${statusMessage ? ` ${statusMessage}` : ''}`, hint)
  }
  if (error instanceof TimeoutError) {
    const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`
    const limit = (error.options.timeout as Record<string, number | undefined>)[error.event] ?? 0
    return error.event === 'socket'
      ? fail(`the transfer stalled (no data for ${seconds(limit)})`, 'Check the network, then run the command again.')
      : fail(`timed out waiting for the ${error.event} (${seconds(limit)})`)
  }
  if (error instanceof RequestError && error.name === 'ReadError') {
    return fail(`the connection broke off during the transfer (${error.code})`, 'Run the command again.')
  }
  if (error instanceof RequestError) {
    // Node's messages usually carry the code already ("connect ECONNREFUSED 127.0.0.1:8080").
    const reason = !error.code || error.message.includes(error.code) ? error.message : `${error.code}: ${error.message}`
    return fail(reason, 'Check the network, then run the command again.')
  }
  return fail(error instanceof Error ? error.message : String(error))
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
  const what = subject === 'image' ? 'box image' : 'checksum file'
  return new VmError(`Cannot read the ${what} ${path}: ${reason}.`, {code: 'BOX_FILE_UNREADABLE', cause: error})
}

function isAbort(error: unknown): boolean {
  const {name, code} = (error ?? {}) as {name?: string; code?: string}
  return name === 'AbortError' || code === 'ABORT_ERR' || code === 'ERR_ABORTED'
}
