import {HTTPError, RequestError, TimeoutError} from 'got'

import {InterruptedError, VmError} from '../errors.js'

/**
 * When to try a transfer again, and how long to wait first. Pure except `sleep`; the download
 * loop (resumable-download.ts) and fetchText (fetch.ts) share it.
 */

export type RetryPolicy = {
  /** Tries of one URL (the first one included) before moving on to the next mirror. */
  readonly attemptsPerUrl: number
  /** Wait before the second try; it doubles for each further try. */
  readonly initialDelayMs: number
  /** Cap on any one wait, a server's Retry-After included. */
  readonly maxDelayMs: number
}

/** 5 tries a URL, waiting about 1, 2, 4, 8 s between them: rides out a restarting mirror or a Wi-Fi hand-over. */
export const DEFAULT_RETRY: RetryPolicy = {attemptsPerUrl: 5, initialDelayMs: 1000, maxDelayMs: 30_000}

/**
 * What a failed try means for the next one:
 * - `retry`: worth another try of the same URL after a wait (the network or an overloaded server);
 * - `next-url`: this URL will not work (404, 403, TLS, unknown host); move on to the next mirror now;
 * - `fatal`: nothing else will work either (the disk is full, the user pressed Ctrl-C): stop.
 */
export type Verdict =
  | {readonly action: 'retry'; readonly retryAfterMs?: number}
  | {readonly action: 'next-url'}
  | {readonly action: 'fatal'}

/** Statuses that say "not now" rather than "never" (RFC 9110 and common practice). */
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504])

/** Socket errors a second try can get past. ENOTFOUND is not one: a mirror whose name does not resolve stays that way. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
])

/** Classifies an error thrown by one try; `now` is for Retry-After dates. */
export function judge(error: unknown, now = Date.now()): Verdict {
  if (error instanceof InterruptedError) return {action: 'fatal'}
  if (error instanceof TransientError) return {action: 'retry'}
  // Our own errors are already decided (the cache's disk, say); a mirror that redirects down to
  // http is one bad mirror, and the next may stay on https.
  if (error instanceof VmError) return error.code === 'BOX_REDIRECT_REFUSED' ? {action: 'next-url'} : {action: 'fatal'}
  if (error instanceof HTTPError) {
    const {statusCode, headers} = error.response
    if (!TRANSIENT_STATUS.has(statusCode)) return {action: 'next-url'}
    const retryAfterMs = parseRetryAfter(headers['retry-after'], now)
    return retryAfterMs === undefined ? {action: 'retry'} : {action: 'retry', retryAfterMs}
  }
  if (error instanceof TimeoutError) return {action: 'retry'}
  if (error instanceof RequestError) {
    // ReadError: the body broke off. Otherwise the socket's code decides (TLS and DNS failures move on).
    if (error.name === 'ReadError' || TRANSIENT_CODES.has(error.code)) return {action: 'retry'}
    return {action: 'next-url'}
  }
  const code = (error as {code?: unknown} | undefined)?.code
  return typeof code === 'string' && TRANSIENT_CODES.has(code) ? {action: 'retry'} : {action: 'next-url'}
}

/**
 * A try that failed in a way got cannot see: the body ended before the promised size, or a 206 came
 * back for the wrong range. `message` is the reason, written to follow "Download of URL failed: ".
 */
export class TransientError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TransientError'
  }
}

/**
 * The wait before try number `attempt + 1` (attempt ≥ 1): initialDelayMs doubling, capped, with
 * "equal jitter" (between half and all of it) so clients cut off together do not return together,
 * yet the wait never collapses to nothing. A server's Retry-After wins when it is given, up to the cap.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxDelayMs)
  const full = Math.min(policy.initialDelayMs * 2 ** Math.max(0, attempt - 1), policy.maxDelayMs)
  return Math.round(full / 2 + (random() * full) / 2)
}

/** Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Waits `ms`, or throws InterruptedError as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new InterruptedError())
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(new InterruptedError())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}

/** "2 s", "0.3 s", "1 min 30 s": waits as a person reads them ("20 ms" only for the tests' short ones). */
export function formatDelay(ms: number): string {
  if (ms < 100) return `${Math.round(ms)} ms`
  const seconds = ms / 1000
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`
  const whole = Math.round(seconds)
  if (whole < 60) return `${whole} s`
  const rest = whole % 60
  return rest === 0 ? `${Math.floor(whole / 60)} min` : `${Math.floor(whole / 60)} min ${rest} s`
}
