/**
 * The only part of src/vmfile/ that touches the file system: finding the Vmfile and reading
 * it. Everything after the read is resolveVmfile's pure pipeline.
 */
import {readFile, stat} from 'node:fs/promises'
import {dirname, join, relative, resolve} from 'node:path'

import {VmError} from '../errors.js'
import type {Vmfile} from './types.js'
import type {Env} from './defaults.js'
import {formatProblems, summarizeProblems, type Problem} from './problem.js'
import {resolveVmfile} from './resolve.js'

export const VMFILE_NAME = 'Vmfile'

export type LoadResult = {
  /** Present only when there is no error; warnings may still be in `problems`. */
  readonly vmfile?: Vmfile
  readonly problems: readonly Problem[]
  /** The text that was read, for formatProblems. */
  readonly source: string
  /** The path relative to the current directory ("Vmfile", "../Vmfile"), for messages. */
  readonly displayName: string
}

/**
 * Looks for a file named Vmfile in `startDir`, then in each parent up to the root, as Vagrant
 * looks for its Vagrantfile. Returns the first one's absolute path, or undefined. Directories
 * named Vmfile and unreadable folders are skipped. Does not read the file.
 */
export async function findVmfile(startDir: string): Promise<string | undefined> {
  for (let dir = resolve(startDir); ; dir = dirname(dir)) {
    const candidate = join(dir, VMFILE_NAME)
    if (await isFile(candidate)) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * Reads and resolves the Vmfile at `path`. Never throws for mistakes in the file: they come back
 * as problems so that the caller can print all of them (see VmfileInvalidError). Throws
 * VmfileNotFoundError when there is no such file, and VmError VMFILE_UNREADABLE when it cannot
 * be read. `cwd` only shapes displayName.
 */
export async function loadVmfile(path: string, env: Env, cwd: string = process.cwd()): Promise<LoadResult> {
  const absolute = resolve(cwd, path)
  const source = await readVmfile(absolute)
  const displayName = relative(cwd, absolute) || VMFILE_NAME
  return {...resolveVmfile(source, absolute, env), source, displayName}
}

/** The Vmfile has errors. The detail lists every problem (warnings too) with source excerpts. */
export class VmfileInvalidError extends VmError {
  constructor(
    readonly problems: readonly Problem[],
    source: string,
    displayName: string,
  ) {
    super(`${displayName} has ${summarizeProblems(problems)}.`, {
      code: 'VMFILE_INVALID',
      detail: formatProblems(problems, source, displayName),
      exitCode: 2,
    })
  }
}

/** No Vmfile: none found from a folder upwards, or none at an explicitly given path. */
export class VmfileNotFoundError extends VmError {
  constructor(readonly where: string, kind: 'search' | 'path' = 'search') {
    const message = kind === 'search' ? `No Vmfile in ${where} or any folder above it.` : `No Vmfile at ${where}.`
    super(message, {code: 'VMFILE_NOT_FOUND', hint: 'Run `vm init` to write one here.', exitCode: 1})
  }
}

async function readVmfile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new VmfileNotFoundError(path, 'path')
    throw new VmError(`Cannot read ${path}: ${(error as Error).message}`, {code: 'VMFILE_UNREADABLE', cause: error})
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false // ENOENT, or a folder we may not look into: keep walking up.
  }
}
