import {readFile, stat} from 'node:fs/promises'

import {VmError} from '../errors.js'
import {acquireFlock, type HeldFlock} from '../exec/flock.js'
import {describeCommandLine, findFlockHolder, parseFlockEntries} from '../util/proc-locks.js'
import type {Project} from './project.js'
import {ensureStateDir} from './state-dir.js'

export type ProjectLockOptions = {
  /** Fail at once, naming the holder, instead of waiting for it. */
  readonly noWait: boolean
  readonly signal?: AbortSignal
  /** Told once, when another command holds the lock and this one starts waiting. */
  readonly onWait?: (holder: string) => void
}

/**
 * Runs WORK holding the project's lock (`.vm/lock`), so two vm commands never change one
 * project's machines at once. The lock is the kernel's (see exec/flock.ts): a command that died
 * never leaves it behind.
 */
export async function withProjectLock<T>(project: Project, options: ProjectLockOptions, work: () => Promise<T>): Promise<T> {
  await ensureStateDir(project.paths)
  const path = project.paths.lockFile
  let held = await acquireFlock(path, {wait: false, signal: options.signal})
  if (held === 'busy') {
    const holder = await describeLockHolder(path)
    if (options.noWait) {
      throw new VmError(`Another vm command is changing this project's machines: ${holder}.`, {
        code: 'PROJECT_LOCKED',
        hint: 'Wait for it to finish, or run the command again without --no-wait to wait for it.',
      })
    }
    options.onWait?.(holder)
    held = (await acquireFlock(path, {wait: true, signal: options.signal})) as HeldFlock
  }
  try {
    return await work()
  } finally {
    await held.release()
  }
}

/** "PID 1234 (vm up web)", read from the kernel's lock table; vaguer when /proc says less. */
export async function describeLockHolder(path: string): Promise<string> {
  try {
    const {dev, ino} = await stat(path)
    const pid = findFlockHolder(parseFlockEntries(await readFile('/proc/locks', 'utf8')), dev, ino)
    if (pid === undefined) return 'another process'
    // The lock is held by vm's `flock ... cat` child; the command is its parent.
    const parent = Number(/^\d+ \(.*\) \S (\d+)/s.exec(await readFile(`/proc/${pid}/stat`, 'utf8'))?.[1])
    const owner = parent > 1 ? parent : pid
    const command = describeCommandLine(await readFile(`/proc/${owner}/cmdline`, 'utf8'))
    return `PID ${owner} (${command})`
  } catch {
    return 'another process'
  }
}
