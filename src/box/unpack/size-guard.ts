import {stat} from 'node:fs/promises'
import {dirname} from 'node:path'

import {freeBytes} from '../free-space.js'
import {crossed, sizeError, type SizeLimits} from '../size-limit.js'

/** How often a growing output is measured: a tool writes at most a few hundred MB between looks. */
const POLL_MS = 50

export type GuardContext = {
  readonly limits: SizeLimits
  /** Names what writes OUTPUT, as a sentence starts: "Unpacking box debian-12 (layer 1, xz)". */
  readonly subject: string
  readonly signal?: AbortSignal
}

/**
 * Tells the guard how far the writer has got, holes included. The file's length alone lags: a
 * SparseWriter (and xz or zstd writing a file themselves) skips runs of zeros and sets the length
 * only at the end, so a bomb of zeros would show 0 bytes until it had written all of its terabyte.
 */
export type Track = (position: () => number | Promise<number>) => void

/**
 * Runs `work`, which writes the file OUTPUT (a decompressor, tar, qemu-img), and stops it (through
 * the signal it is given) as soon as OUTPUT grows past the size limit (its length, or the position
 * the writer reports through `track`) or the file system's free space falls under the reserve; the
 * size is checked once more when `work` is done. Throws BOX_TOO_LARGE or BOX_NO_SPACE
 * (size-limit.ts) then, whatever `work` itself threw; the caller removes OUTPUT. The outer signal
 * still interrupts `work` as before.
 */
export async function guardOutput<T>(output: string, context: GuardContext, work: (signal: AbortSignal, track: Track) => Promise<T>): Promise<T> {
  const {limits, subject, signal} = context
  const controller = new AbortController()
  const forward = () => controller.abort(signal?.reason)
  if (signal?.aborted) forward()
  else signal?.addEventListener('abort', forward, {once: true})
  let stopped: Error | undefined
  let measuring = false
  let position: (() => number | Promise<number>) | undefined
  let furthest = 0
  const measure = async () => {
    const reported = position ? await Promise.resolve(position()).catch(() => 0) : 0
    furthest = Math.max(furthest, reported, (await stat(output).catch(() => undefined))?.size ?? 0)
    const size = furthest
    const free = await freeBytes(dirname(output)).catch(() => Number.POSITIVE_INFINITY)
    const problem = crossed(size, free, limits)
    return problem ? sizeError(problem, subject, dirname(output), limits) : undefined
  }
  const timer = setInterval(() => {
    if (measuring || stopped) return
    measuring = true
    void measure()
      .then((error) => {
        if (error && !stopped) {
          stopped = error
          controller.abort(error)
        }
      })
      .finally(() => (measuring = false))
  }, POLL_MS)
  try {
    const result = await work(controller.signal, (probe) => (position = probe))
    stopped ??= await measure()
    if (stopped) throw stopped
    return result
  } catch (error) {
    throw stopped ?? error
  } finally {
    clearInterval(timer)
    signal?.removeEventListener('abort', forward)
  }
}
