import {mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

import lockfile from 'proper-lockfile'

import {sleep} from './sleep.js'

/**
 * A cross-process lock on a path, for work that two `vm` processes must not do at once (two
 * downloads of the same box, two imports of it into the pool). proper-lockfile makes an
 * `<path>.lock` folder (mkdir is atomic on every local file system) and refreshes its mtime while
 * held, so a lock whose holder was killed (kill -9, power loss) goes stale and is taken over.
 */

export type LockOptions = {
  readonly signal?: AbortSignal
  /** Called once, when the lock is busy and we start waiting: tell the user why nothing moves. */
  readonly onWait?: () => void
  /** A warning, e.g. when the lock was taken over as stale while we held it. */
  readonly log?: (line: string) => void
  /**
   * A lock not refreshed for this long is taken to be a dead holder's. The holder refreshes it
   * every staleMs/3, so a live process loses it only when its event loop stalls that long.
   */
  readonly staleMs?: number
  /** How often a waiter tries again. */
  readonly pollMs?: number
}

/** Runs `work` while holding the lock on `path` (which need not exist); waits as long as it takes, or until `signal`. */
export async function withFileLock<T>(path: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
  const release = await acquire(path, options)
  try {
    return await work()
  } finally {
    await release().catch(() => undefined) // a compromised lock is already gone; nothing to undo
  }
}

/** Whether a live process holds the lock on `path` (a stale lock counts as free). */
export async function isLockHeld(path: string, staleMs = DEFAULT_STALE_MS): Promise<boolean> {
  return lockfile.check(path, {realpath: false, stale: staleMs}).catch(() => true)
}

const DEFAULT_STALE_MS = 30_000

async function acquire(path: string, options: LockOptions): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS
  await mkdir(dirname(path), {recursive: true})
  let waiting = false
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason
    try {
      return await lockfile.lock(path, {
        realpath: false,
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 3)),
        retries: 0,
        // The default throws from a timer, which would crash the process mid-download. The work
        // goes on; the worst case is a second process doing the same download, which the cache's
        // content-addressed renames already tolerate.
        onCompromised: (error) => options.log?.(`Warning: lost the lock ${path}.lock: ${error.message}`),
      })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
    }
    if (!waiting) {
      waiting = true
      options.onWait?.()
    }
    await sleep(options.pollMs ?? 250, options.signal)
  }
}
