import {createHash} from 'node:crypto'
import {constants} from 'node:fs'
import {mkdir, open, type FileHandle} from 'node:fs/promises'
import {join} from 'node:path'

import {VmError} from '../errors.js'
import {acquireFlockOnHandle} from '../exec/flock.js'
import type {VmHome} from '../home.js'

/**
 * One lock for the whole libvirt host, beside the projects' own: every `vm up` holds it shared
 * while it may be creating machines, and `vm global-status --prune` holds it exclusively. Prune
 * then never takes a volume or network that an `up` in some other project has just made and not
 * yet attached to a machine.
 *
 * qemu:///system is one libvirt for every user of the machine, so its lock is one file every
 * user opens: in /run/lock (world-writable and sticky), which is why vm opens it itself with
 * O_NOFOLLOW and never through a path another user could have made a symlink. A session
 * connection is the user's own libvirt, and a remote host cannot be locked from here for other
 * clients, so those keep the lock in the user's data folder.
 */
export function hostLockPath(uri: string, home: VmHome, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^qemu(\+unix)?:\/\/\/system/.test(uri)) return join(home.dataDir, 'host.lock')
  // qemu:///system and qemu+unix:///system are the same daemon; a ?socket= names another one.
  const key = uri.replace(/^qemu\+unix:/, 'qemu:')
  const name = key === 'qemu:///system' ? 'vm-qemu-system.lock' : `vm-host-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lock`
  return join(env.VM_HOST_LOCK_DIR || '/run/lock', name)
}

export async function withHostLock<T>(
  home: VmHome,
  uri: string,
  options: {readonly shared: boolean; readonly signal?: AbortSignal; readonly onWait?: () => void},
  work: () => Promise<T>,
): Promise<T> {
  const path = hostLockPath(uri, home)
  if (path.startsWith(home.dataDir)) await mkdir(home.dataDir, {recursive: true})
  const handle = await openLockFile(path)
  try {
    const flock = {shared: options.shared, signal: options.signal}
    if ((await acquireFlockOnHandle(handle, path, {...flock, wait: false})) === 'busy') {
      options.onWait?.()
      await acquireFlockOnHandle(handle, path, {...flock, wait: true})
    }
    return await work()
  } finally {
    // Closing vm's descriptor is what drops the lock (and the kernel does it if vm dies).
    await handle.close()
  }
}

/**
 * Opens PATH for reading, never through a symlink, creating it readable by everyone when it is
 * missing (flock needs only read access, and the next user to take it may be someone else).
 */
export async function openLockFile(path: string): Promise<FileHandle> {
  const read = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NOCTTY
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, read)
      if (!(await handle.stat()).isFile()) {
        await handle.close()
        throw notAFile(path, 'is not a regular file')
      }
      return handle
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ELOOP') throw notAFile(path, 'is a symbolic link')
      if (code !== 'ENOENT' || attempt > 2) throw openFailed(path, error)
    }
    try {
      const created = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
      // The umask may have taken others' read bit; they need it to take the lock too.
      await created.chmod(0o644)
      await created.close()
    } catch (error) {
      // Another vm made it in between: open what it made.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw openFailed(path, error)
    }
  }
}

function notAFile(path: string, what: string): VmError {
  return new VmError(`vm will not use the host lock ${path}: it ${what}, which vm never makes (another user may have put it there).`, {
    code: 'STATE_UNSAFE',
    exitCode: 2,
    hint: `Remove it (\`sudo rm ${path}\`) and run the command again.`,
  })
}

function openFailed(path: string, error: unknown): VmError {
  return new VmError(`Cannot open the host lock ${path}: ${error instanceof Error ? error.message : String(error)}.`, {
    code: 'LOCK_FAILED',
    hint: 'Every user of this libvirt host needs to read it: `sudo chmod 644 ' + path + '`.',
  })
}
