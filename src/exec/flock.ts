import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import type {FileHandle} from 'node:fs/promises'

import {VmError} from '../errors.js'
import {CHILD_CWD} from './runner.js'

/**
 * An exclusive flock(2) on a file, held by a small child process: util-linux's `flock --no-fork
 * FILE cat`. Node has no flock of its own, and a lock the kernel owns is the point: when vm dies
 * in any way (kill -9 included) the pipe to the child's stdin closes, `cat` ends, and the kernel
 * drops the lock. There is no lock file to go stale and nothing to clean up by hand.
 */

export type HeldFlock = {
  /** Releases the lock; resolves once the kernel has dropped it. */
  release(): Promise<void>
}

/** Exit status flock gives when the lock is busy and it was told not to wait. */
const BUSY_EXIT = 75

/**
 * Takes the lock on PATH (created if missing), exclusive unless SHARED (shared holders exclude
 * only exclusive ones). Without WAIT, resolves 'busy' at once when another process holds it in a
 * conflicting mode; with WAIT, waits until it is free or SIGNAL aborts.
 */
export async function acquireFlock(path: string, options: {wait: boolean; shared?: boolean; signal?: AbortSignal}): Promise<HeldFlock | 'busy'> {
  options.signal?.throwIfAborted()
  const mode = options.shared ? ['--shared'] : []
  const child = spawn('flock', ['--no-fork', ...mode, ...(options.wait ? [] : ['--nonblock', '--conflict-exit-code', String(BUSY_EXIT)]), path, 'cat'], {
    // Its own process group: the Ctrl-C the terminal sends to vm must not end the lock while vm
    // is still undoing what it made.
    detached: true,
    cwd: CHILD_CWD,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const spawnFailed = once(child, 'error').then(([error]) => error as NodeJS.ErrnoException)
  // `cat` echoes this byte only once it runs, which is after flock got the lock. A busy lock ends
  // flock before it reads: that broken pipe is expected, not an error.
  child.stdin!.on('error', () => undefined)
  child.stdin!.write('\n')
  const acquired = once(child.stdout!, 'data').then(() => 'acquired' as const)
  const onAbort = () => child.kill('SIGTERM')
  options.signal?.addEventListener('abort', onAbort, {once: true})
  try {
    const outcome = await Promise.race([acquired, exited, spawnFailed])
    if (outcome === 'acquired') return holding(child, exited)
    if (outcome instanceof Error) {
      throw new VmError(`Cannot run flock to lock ${path}: ${outcome.message}.`, {
        code: outcome.code === 'ENOENT' ? 'TOOL_NOT_INSTALLED' : 'LOCK_FAILED',
        hint: 'flock comes with util-linux: `sudo apt-get install util-linux`.',
      })
    }
    options.signal?.throwIfAborted()
    if (outcome[0] === BUSY_EXIT) return 'busy'
    throw new VmError(`Cannot lock ${path}: flock exited with status ${outcome[0] ?? outcome[1]}.`, {code: 'LOCK_FAILED', detail: stderr.trim() || undefined})
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
}

function holding(child: ChildProcess, exited: Promise<unknown>): HeldFlock {
  // Neither the child nor its pipes keep vm alive; vm's exit closes the pipe and so ends the lock.
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as {unref?: () => void} | null)?.unref?.()
  child.stdout!.resume()
  return {
    async release() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.ref() // until it has exited: that is when the lock is free
      child.stdin!.end()
      await exited
    },
  }
}

/**
 * flock(2) on a file vm has already opened itself (with O_NOFOLLOW, see host-lock.ts): util-linux's
 * `flock FD` form locks the open file description it inherits as fd 3 and exits, so the lock is
 * held by vm's own descriptor and dropped when vm closes HANDLE or dies. Resolves 'busy' like
 * acquireFlock when WAIT is false and another holder conflicts.
 */
export async function acquireFlockOnHandle(handle: FileHandle, label: string, options: {wait: boolean; shared?: boolean; signal?: AbortSignal}): Promise<'held' | 'busy'> {
  options.signal?.throwIfAborted()
  const mode = options.shared ? ['--shared'] : ['--exclusive']
  const child = spawn('flock', [...mode, ...(options.wait ? [] : ['--nonblock', '--conflict-exit-code', String(BUSY_EXIT)]), '3'], {
    cwd: CHILD_CWD,
    stdio: ['ignore', 'ignore', 'pipe', handle.fd],
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const onAbort = () => child.kill('SIGTERM')
  options.signal?.addEventListener('abort', onAbort, {once: true})
  try {
    const outcome = await Promise.race([
      once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
      once(child, 'error').then(([error]) => error as NodeJS.ErrnoException),
    ])
    if (outcome instanceof Error) {
      throw new VmError(`Cannot run flock to lock ${label}: ${outcome.message}.`, {
        code: outcome.code === 'ENOENT' ? 'TOOL_NOT_INSTALLED' : 'LOCK_FAILED',
        hint: 'flock comes with util-linux: `sudo apt-get install util-linux`.',
      })
    }
    options.signal?.throwIfAborted()
    if (outcome[0] === 0) return 'held'
    if (outcome[0] === BUSY_EXIT) return 'busy'
    throw new VmError(`Cannot lock ${label}: flock exited with status ${outcome[0] ?? outcome[1]}.`, {code: 'LOCK_FAILED', detail: stderr.trim() || undefined})
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
}
