/**
 * The project's `.vm/`, checked before vm uses it. A repository can commit a `.vm/` (a symlink to
 * somewhere else, a lock that is a symlink to a file of the user's, a world-writable folder, a key
 * pair whose private half its author knows): vm makes `.vm/` itself or uses one that is the
 * user's own, private, and holds no symlinks.
 */
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {shellQuote} from '../exec/shell-quote.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {chmodOwnedFolder, inspectOwnedEntry, type EntryKind} from '../util/owned-file.js'
import type {ProjectPaths} from './paths.js'

/** Everything vm keeps in `.vm/`, and what kind of entry each must be when it is there. */
function stateEntries(paths: ProjectPaths): Array<[string, EntryKind]> {
  return [
    [paths.privateKey, 'file'],
    [paths.publicKey, 'file'],
    [paths.knownHosts, 'file'],
    [paths.lockFile, 'file'],
    [paths.tmpDir, 'folder'],
    [join(paths.stateDir, 'ansible'), 'folder'],
    [join(paths.stateDir, '.gitignore'), 'file'],
  ]
}

/** The command that clears a refused `.vm/`: vm then makes a new one. */
export function stateDirFix(paths: ProjectPaths): string {
  return `Remove it with \`${shellQuote(['rm', '-r', paths.stateDir])}\` and run the command again; vm makes a new one (machines made with the old key cannot be logged in to: \`vm destroy -f\` them).`
}

/** Makes `.vm/`, private and git-ignored (by a `*` inside it), or checks the one there. Idempotent. */
export async function ensureStateDir(paths: ProjectPaths): Promise<void> {
  const fix = stateDirFix(paths)
  if (!(await inspectOwnedEntry(paths.stateDir, 'folder', fix))) {
    await mkdir(paths.stateDir, {mode: 0o700}).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    })
  }
  await checkStateDir(paths)
  const ignore = join(paths.stateDir, '.gitignore')
  if (!(await readFile(ignore, 'utf8').then(() => true, () => false))) {
    await writeFileAtomic(ignore, '# Written by vm: machine keys and state stay out of git.\n*\n')
  }
}

/**
 * Checks an existing `.vm/` (nothing when there is none): the user's own folder, not a symlink,
 * mode 0700 (forced), and every entry vm uses in it the user's own and not a symlink.
 */
export async function checkStateDir(paths: ProjectPaths): Promise<void> {
  const fix = stateDirFix(paths)
  if (!(await inspectOwnedEntry(paths.stateDir, 'folder', fix))) return
  await chmodOwnedFolder(paths.stateDir, 0o700, fix)
  for (const [path, kind] of stateEntries(paths)) await inspectOwnedEntry(path, kind, fix)
}
