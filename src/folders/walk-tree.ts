import type {Dirent} from 'node:fs'
import {lstat, readdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {ExcludeMatcher} from './exclude.js'

/** What a sync copies: directories, regular files and symlinks (kept as links, never followed). */
export type EntryKind = 'dir' | 'file' | 'symlink'

export type TreeEntry = {
  /** Relative to the folder, `/`-separated. */
  readonly rel: string
  readonly kind: EntryKind
  /** Bytes of a regular file; 0 otherwise. */
  readonly size: number
}

/**
 * Lists everything under ROOT/START (START itself excluded), parents before children, pruning
 * excluded entries without descending into them (a huge excluded node_modules costs nothing).
 * Sockets, FIFOs and devices are skipped: they are never project content, and tar cannot carry a
 * socket anyway.
 */
export async function walkTree(root: string, start: string, isExcluded: ExcludeMatcher, signal?: AbortSignal): Promise<TreeEntry[]> {
  const out: TreeEntry[] = []
  await walkDir(root, start, isExcluded, out, signal)
  return out
}

async function walkDir(root: string, dir: string, isExcluded: ExcludeMatcher, out: TreeEntry[], signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  const dirents = await readdir(join(root, dir), {withFileTypes: true})
  // Byte order, so archives and tests are deterministic.
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const kept = dirents
    .map((dirent) => ({dirent, rel: dir === '' ? dirent.name : `${dir}/${dirent.name}`, kind: kindOf(dirent)}))
    .filter((e): e is {dirent: Dirent; rel: string; kind: EntryKind} => e.kind !== undefined && !isExcluded(e.rel, e.kind === 'dir'))
  // Sizes of one folder's files in parallel: a Dirent has no size.
  const sizes = await Promise.all(kept.map(async (e) => (e.kind === 'file' ? (await lstat(join(root, e.rel))).size : 0)))
  for (const [i, e] of kept.entries()) {
    out.push({rel: e.rel, kind: e.kind, size: sizes[i]!})
    if (e.kind === 'dir') await walkDir(root, e.rel, isExcluded, out, signal)
  }
}

function kindOf(dirent: Dirent): EntryKind | undefined {
  if (dirent.isSymbolicLink()) return 'symlink'
  if (dirent.isDirectory()) return 'dir'
  if (dirent.isFile()) return 'file'
  return undefined
}
