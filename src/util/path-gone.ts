import {stat} from 'node:fs/promises'

/**
 * True only when PATH is known not to be there (ENOENT, ENOTDIR). A folder vm may not look into
 * (EACCES: another user's home on a shared host) or cannot check for another reason is not gone:
 * `global-status --prune` removes the machines of gone folders, and a guess must keep them.
 */
export async function isPathGone(path: string, statPath: (path: string) => Promise<unknown> = stat): Promise<boolean> {
  try {
    await statPath(path)
    return false
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' || code === 'ENOTDIR'
  }
}
