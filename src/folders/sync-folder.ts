import {stat} from 'node:fs/promises'

import type {Runner} from '../exec/runner.js'
import {VmError} from '../errors.js'
import type {SshTarget} from '../ssh/ssh-args.js'
import type {SyncedFolder} from '../vmfile/types.js'
import {compileExcludes} from './exclude.js'
import {normalizeGuestPath} from './folder-paths.js'
import {remoteCommand, renderFullSyncScript} from './remote-script.js'
import {runRemote} from './run-remote.js'
import {withTarball} from './tarball.js'
import {walkTree} from './walk-tree.js'

export type SyncOptions = {
  readonly runner: Runner
  readonly target: SshTarget
  readonly folder: SyncedFolder
  /** Host scratch space for the archive (the project's `.vm/tmp`); made 0700 when missing. */
  readonly tmpDir: string
  readonly signal?: AbortSignal
  /** Become root in the guest with `sudo -n` (default true); tests run the script as themselves. */
  readonly sudo?: boolean
}

/** What a sync sent, for the summary line: entries other than directories, and their bytes. */
export type SyncSummary = {files: number; bytes: number}

/**
 * Copies a host folder into the guest, one way, so that the guest folder ends up exactly like
 * the host folder minus the excluded entries (rsync --delete semantics; guest-only files go).
 * Needs only tar in the guest, no rsync and no network: the host archives the folder with GNU
 * tar and one ssh call extracts it as root into a fresh sibling folder that then replaces the old
 * one (see renderFullSyncScript), so a failed or interrupted transfer changes nothing.
 */
export async function syncFolder(options: SyncOptions): Promise<SyncSummary> {
  const {folder} = options
  const guestPath = normalizeGuestPath(folder.guestPath)
  await requireFolder(folder.hostPath)
  const entries = await walkTree(folder.hostPath, '', compileExcludes(folder.exclude), options.signal)
  const summary = summarize(entries)
  // '.' first: it carries the folder's own mode to the guest folder.
  const members = ['.', ...entries.map((e) => e.rel)]
  await withTarball({runner: options.runner, root: folder.hostPath, members, tmpDir: options.tmpDir, signal: options.signal}, (archive) =>
    runRemote({
      runner: options.runner,
      target: options.target,
      folder,
      command: remoteCommand(renderFullSyncScript(guestPath), {sudo: options.sudo ?? true}),
      inputFile: archive,
      signal: options.signal,
      afterFailure: 'The guest folder was left as it was.',
    }),
  )
  return summary
}

export function summarize(entries: ReadonlyArray<{kind: string; size: number}>): SyncSummary {
  let files = 0
  let bytes = 0
  for (const entry of entries) {
    if (entry.kind === 'dir') continue
    files++
    bytes += entry.size
  }
  return {files, bytes}
}

/** Fails with a hint unless HOSTPATH is a directory (or a symlink to one). */
export async function requireFolder(hostPath: string): Promise<void> {
  // stat, not lstat: the folder the user named may itself be a symlink to a directory.
  const info = await stat(hostPath).catch(() => undefined)
  if (!info?.isDirectory()) {
    throw new VmError(`The synced folder ${hostPath} does not exist or is not a directory.`, {
      code: 'FOLDER_HOST_PATH_MISSING',
      hint: 'Create it, or fix the folder\'s host path in the Vmfile.',
    })
  }
}
