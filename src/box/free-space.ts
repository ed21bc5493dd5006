import {statfs} from 'node:fs/promises'

/** Bytes an unprivileged process may still write on the file system that holds `path`. */
export async function freeBytes(path: string): Promise<number> {
  const info = await statfs(path)
  return info.bavail * info.bsize
}
