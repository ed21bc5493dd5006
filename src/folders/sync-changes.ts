import {lstat} from 'node:fs/promises'
import {join} from 'node:path'

import type {ExcludeMatcher} from './exclude.js'
import {compileExcludes} from './exclude.js'
import {ancestorsOf, collapseNested, normalizeGuestPath, normalizeRelativePath} from './folder-paths.js'
import {remoteCommand, renderChangesScript} from './remote-script.js'
import {runRemote} from './run-remote.js'
import {summarize, syncFolder, type SyncOptions, type SyncSummary} from './sync-folder.js'
import {withTarball} from './tarball.js'
import {walkTree, type EntryKind, type TreeEntry} from './walk-tree.js'

/** Paths relative to the folder, as a watcher reported them. */
export type ChangeSet = {
  /** Created or modified (files, directories, symlinks). */
  readonly changed: readonly string[]
  /** Deleted or moved away. A path both removed and present again is replaced, not merged. */
  readonly removed: readonly string[]
}

export type ChangesSummary = SyncSummary & {
  /** Paths removed in the guest (after folding nested ones into their parent). */
  removed: number
  /** True when the change was applied as a full sync instead (see syncChanges). */
  full: boolean
}

/**
 * The longest remote command we send. The guest's shell gets it as one argument, and Linux caps
 * one argument at 128 KiB (MAX_ARG_STRLEN); the removal list is what makes it grow.
 */
export const MAX_COMMAND_LENGTH = 96 * 1024

/**
 * Applies a watcher's batch to the guest in one ssh call: removes what is gone, then extracts a
 * tarball of what changed over the existing guest folder. The host file system at the time of
 * the call decides, not the events: a "changed" path that is gone is removed, a "removed" one that
 * is back is replaced, a changed directory is sent whole (a directory moved in from elsewhere is
 * reported once, not per file). Excluded paths are neither sent nor removed.
 *
 * Falls back to a full sync (syncFolder) when the batch names the folder itself, or when the
 * removal list would make the command too long (a branch switch removing thousands of files):
 * then `full` is true. A failure may leave the guest partly updated; a full sync repairs it.
 */
export async function syncChanges(options: SyncOptions & ChangeSet): Promise<ChangesSummary> {
  const {folder} = options
  const guestPath = normalizeGuestPath(folder.guestPath)
  // Validates every path before anything runs: `..` or an absolute path is refused, not fixed.
  const changed = options.changed.map(normalizeRelativePath)
  const removed = options.removed.map(normalizeRelativePath)
  const fullSync = async (): Promise<ChangesSummary> => ({...(await syncFolder(options)), removed: 0, full: true})
  if (changed.includes('') || removed.includes('')) return fullSync()

  const isExcluded = compileExcludes(folder.exclude)
  const present = new Map<string, EntryKind>()
  const gone = new Set<string>(removed)
  for (const rel of new Set([...changed, ...removed])) {
    const kind = await kindOnHost(folder.hostPath, rel)
    if (kind === undefined) gone.add(rel)
    else if (!isExcluded(rel, kind === 'dir')) present.set(rel, kind)
  }
  // A gone path's type is unknown: skip it if it would be excluded as a directory, the wider
  // reading, so that a guest's own excluded folder (a node_modules built there) is never removed.
  const removals = collapseNested([...gone].filter((rel) => !isExcluded(rel, true)))
  const {members, sent} = await changedMembers(folder.hostPath, present, isExcluded, options.signal)
  if (removals.length === 0 && members.length === 0) return {files: 0, bytes: 0, removed: 0, full: false}

  const command = remoteCommand(renderChangesScript(guestPath, removals, members.length > 0), {sudo: options.sudo ?? true})
  if (command.length > MAX_COMMAND_LENGTH) return fullSync()
  const remote = {
    runner: options.runner,
    target: options.target,
    folder,
    command,
    signal: options.signal,
    afterFailure: 'The guest folder may be partly updated; a full sync repairs it.',
  }
  if (members.length === 0) {
    await runRemote(remote)
  } else {
    await withTarball({runner: options.runner, root: folder.hostPath, members, tmpDir: options.tmpDir, signal: options.signal}, (archive) =>
      runRemote({...remote, inputFile: archive}),
    )
  }
  return {...summarize(sent), removed: removals.length, full: false}
}

/**
 * The archive's members for the PRESENT paths: each one's parent directories first (so the guest
 * tar replaces a guest-side symlink in their place instead of writing through it, and creates
 * missing ones with the host's modes), then the path, then a directory's whole subtree.
 * SENT lists what the summary counts: not the parents.
 */
async function changedMembers(
  root: string,
  present: ReadonlyMap<string, EntryKind>,
  isExcluded: ExcludeMatcher,
  signal?: AbortSignal,
): Promise<{members: string[]; sent: TreeEntry[]}> {
  const members = new Set<string>()
  const sent: TreeEntry[] = []
  for (const rel of collapseNested(present.keys())) {
    for (const ancestor of ancestorsOf(rel)) members.add(ancestor)
    const kind = present.get(rel)!
    const size = kind === 'file' ? (await lstat(join(root, rel)).catch(() => ({size: 0}))).size : 0
    const entries = [{rel, kind, size}, ...(kind === 'dir' ? await walkTree(root, rel, isExcluded, signal) : [])]
    for (const entry of entries) {
      members.add(entry.rel)
      sent.push(entry)
    }
  }
  return {members: [...members], sent}
}

/**
 * What is at REL inside ROOT now, or undefined when nothing is, when it is a socket, FIFO or
 * device, or when a parent is not a real directory (behind a symlink is outside the folder).
 */
async function kindOnHost(root: string, rel: string): Promise<EntryKind | undefined> {
  for (const ancestor of ancestorsOf(rel)) {
    const info = await lstatOrUndefined(join(root, ancestor))
    if (!info?.isDirectory()) return undefined
  }
  const info = await lstatOrUndefined(join(root, rel))
  if (info?.isSymbolicLink()) return 'symlink'
  if (info?.isDirectory()) return 'dir'
  if (info?.isFile()) return 'file'
  return undefined
}

async function lstatOrUndefined(path: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}
