import {readFile, rm} from 'node:fs/promises'

import {writeFileAtomic} from '../util/atomic-write.js'
import type {Validator} from './http-range.js'

/**
 * `<part>.json`: what a later call needs to know before it may append to `<part>`. The part's
 * own size is the resume offset (writes land in order, so every byte below it is good, even after
 * kill -9); this file says which download those bytes belong to and which version of the file.
 *
 * Ordering keeps the pair consistent across a crash at any point: a restart truncates the part
 * BEFORE it records the new version here, and records it before the first new byte is written.
 */
export type ResumeState = {
  readonly version: 1
  /** The URL list of the call that began the part. Another list is another download: start over. */
  readonly urls: readonly string[]
  /** The URL the latest bytes came from. Its validator means nothing to another server. */
  readonly url: string
  /** The strong ETag or Last-Modified of that URL's response, for If-Range. */
  readonly validator?: Validator
  /** The whole file's size, when the server said so; a resumed response must agree. */
  readonly totalBytes?: number
}

export function statePath(partPath: string): string {
  return `${partPath}.json`
}

/**
 * The state of a part begun for these `urls` (in any order); undefined when the file is missing,
 * unreadable, damaged or belongs to another URL list, all of which mean "start from zero".
 */
export async function readResumeState(partPath: string, urls: readonly string[]): Promise<ResumeState | undefined> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(statePath(partPath), 'utf8'))
  } catch {
    return undefined
  }
  if (!isState(value)) return undefined
  const mine = new Set(urls)
  const same = value.urls.length === mine.size && value.urls.every((url) => mine.has(url))
  return same && mine.has(value.url) ? value : undefined
}

/** Replaces the state atomically (temp + fsync + rename): a torn file would only cost a restart, but costs nothing to avoid. */
export async function writeResumeState(partPath: string, state: ResumeState): Promise<void> {
  await writeFileAtomic(statePath(partPath), `${JSON.stringify(state)}\n`, 0o600)
}

export async function removeResumeState(partPath: string): Promise<void> {
  await rm(statePath(partPath), {force: true})
}

function isState(value: unknown): value is ResumeState {
  const state = value as Partial<Record<keyof ResumeState, unknown>> | null
  return (
    typeof state === 'object' &&
    state !== null &&
    state.version === 1 &&
    Array.isArray(state.urls) &&
    state.urls.every((url) => typeof url === 'string') &&
    typeof state.url === 'string' &&
    (state.validator === undefined || isValidator(state.validator)) &&
    (state.totalBytes === undefined || (typeof state.totalBytes === 'number' && Number.isSafeInteger(state.totalBytes) && state.totalBytes >= 0))
  )
}

function isValidator(value: unknown): value is Validator {
  const validator = value as {etag?: unknown; lastModified?: unknown} | null
  if (typeof validator !== 'object' || validator === null) return false
  return typeof validator.etag === 'string' || typeof validator.lastModified === 'string'
}
