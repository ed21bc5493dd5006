import {randomBytes} from 'node:crypto'
import {link, open, rename, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

/**
 * Writes a file so that readers see the old content or the new, never a torn one, even after a
 * crash: a temp file in the same folder, fsync, rename over the target, fsync of the folder.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, options: {replace?: boolean} = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', mode)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(temp, {force: true})
    throw error
  }
  await handle.close()
  try {
    // link() fails with EEXIST instead of replacing: a new file, all or nothing, never clobbering.
    if (options.replace === false) await link(temp, path)
    else await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  if (options.replace === false) await rm(temp, {force: true})
  await syncDir(dirname(path))
}

/** Makes a rename in DIR durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
