import {posix} from 'node:path'

import {VmError} from '../errors.js'

/**
 * Paths inside a synced folder: relative, `/`-separated, without `.` or empty components; '' is
 * the folder itself. They end up, quoted, in a command that root runs in the guest, so anything
 * that could leave the folder (`..`, an absolute path) is refused here rather than repaired.
 */
export function normalizeRelativePath(path: string): string {
  if (path.includes('\0')) throw invalidPath(path, 'it contains a NUL byte')
  if (path.startsWith('/')) throw invalidPath(path, 'it is absolute')
  const parts = path.split('/').filter((part) => part !== '' && part !== '.')
  if (parts.includes('..')) throw invalidPath(path, 'it contains ".."')
  return parts.join('/')
}

/** The proper ancestors of REL, outermost first: 'a/b/c' → ['a', 'a/b']. */
export function ancestorsOf(rel: string): string[] {
  const out: string[] = []
  for (let slash = rel.indexOf('/'); slash !== -1; slash = rel.indexOf('/', slash + 1)) out.push(rel.slice(0, slash))
  return out
}

/**
 * Drops every path that lies under another one of the list (and duplicates): removing or
 * sending `a` already covers `a/b`. Sorted, so the result does not depend on event order.
 */
export function collapseNested(paths: Iterable<string>): string[] {
  const set = new Set(paths)
  return [...set].filter((rel) => rel === '' ? true : !set.has('') && !ancestorsOf(rel).some((a) => set.has(a))).sort()
}

/**
 * The guest folder, checked: absolute, normalised, never `/` (a sync replaces the whole folder,
 * and replacing the guest's root would destroy the machine).
 */
export function normalizeGuestPath(path: string): string {
  if (!path.startsWith('/') || path.includes('\0')) {
    throw new VmError(`The guest path of a synced folder must be absolute: "${path}".`, {code: 'FOLDER_GUEST_PATH_INVALID'})
  }
  const normal = posix.normalize(path).replace(/\/+$/, '')
  if (normal === '') {
    throw new VmError('A synced folder cannot replace the guest\'s root folder "/".', {
      code: 'FOLDER_GUEST_PATH_INVALID',
      hint: 'Sync into a folder of its own, e.g. /vagrant or /srv/app.',
    })
  }
  return normal
}

function invalidPath(path: string, why: string): VmError {
  return new VmError(`Refusing to sync the path ${JSON.stringify(path)}: ${why}.`, {
    code: 'FOLDER_SYNC_PATH_INVALID',
    hint: 'Changed and removed paths must be relative to the synced folder and stay inside it.',
  })
}
