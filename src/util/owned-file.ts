/**
 * Files vm keeps where someone else may have put things first (a project's `.vm/` can be
 * committed to a repository): never follow a symlink there, never use what another user owns.
 */
import {constants} from 'node:fs'
import {lstat, open} from 'node:fs/promises'
import type {Stats} from 'node:fs'

import {VmError} from '../errors.js'

export type EntryKind = 'file' | 'folder'

/** Why vm will not use PATH; `fix` is the command that clears it. */
export class UnsafeStateError extends VmError {
  constructor(path: string, problem: string, fix: string) {
    super(`vm will not use ${path}: ${problem}.`, {
      code: 'STATE_UNSAFE',
      exitCode: 2,
      hint: `It may have come with the repository. ${fix}`,
    })
  }
}

/**
 * What is at PATH, checked: undefined when nothing is there; an error when it is a symlink, not
 * of KIND, or owned by another user than the one running vm.
 */
export async function inspectOwnedEntry(path: string, kind: EntryKind, fix: string): Promise<Stats | undefined> {
  let stats: Stats
  try {
    stats = await lstat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw error
  }
  requireOwned(path, stats, kind, fix)
  return stats
}

/**
 * Reads the regular file at PATH without following a symlink (O_NOFOLLOW), checked as
 * inspectOwnedEntry does; with privateMode, takes group and other permissions away (through the
 * open file, so never from a symlink's target) once `accept`, if given, has not thrown for the
 * contents. Undefined when there is no file.
 */
export async function readOwnedFile(path: string, fix: string, options: {privateMode?: number; accept?: (bytes: Buffer) => Promise<void>} = {}): Promise<Buffer | undefined> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ELOOP') throw new UnsafeStateError(path, 'it is a symlink', fix)
    throw error
  }
  try {
    const stats = await handle.stat()
    requireOwned(path, stats, 'file', fix)
    const bytes = await handle.readFile()
    await options.accept?.(bytes)
    if (options.privateMode !== undefined && (stats.mode & 0o077) !== 0) await handle.chmod(options.privateMode)
    return bytes
  } finally {
    await handle.close()
  }
}

/** Sets a folder's mode through an O_NOFOLLOW handle: a symlink put there in the meantime is refused. */
export async function chmodOwnedFolder(path: string, mode: number, fix: string): Promise<void> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafeStateError(path, 'it is a symlink', fix)
    throw error
  }
  try {
    const stats = await handle.stat()
    requireOwned(path, stats, 'folder', fix)
    if ((stats.mode & 0o7777) !== mode) await handle.chmod(mode)
  } finally {
    await handle.close()
  }
}

function requireOwned(path: string, stats: Stats, kind: EntryKind, fix: string): void {
  if (stats.isSymbolicLink()) throw new UnsafeStateError(path, `it is a symlink`, fix)
  const isKind = kind === 'folder' ? stats.isDirectory() : stats.isFile()
  if (!isKind) throw new UnsafeStateError(path, `it is not a ${kind}`, fix)
  const uid = process.geteuid?.() ?? stats.uid
  if (stats.uid !== uid) throw new UnsafeStateError(path, `it belongs to uid ${stats.uid}, not to you (uid ${uid})`, fix)
}
