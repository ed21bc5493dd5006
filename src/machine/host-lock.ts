import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {acquireFlock, type HeldFlock} from '../exec/flock.js'
import type {VmHome} from '../home.js'

/**
 * One lock for the whole libvirt host, beside the projects' own: every `vm up` holds it shared
 * while it may be creating machines, and `vm global-status --prune` holds it exclusively. Prune
 * then never takes a volume or network that an `up` in some other project has just made and not
 * yet attached to a machine.
 */
function hostLockPath(home: VmHome): string {
  return join(home.dataDir, 'host.lock')
}

export async function withHostLock<T>(
  home: VmHome,
  options: {readonly shared: boolean; readonly signal?: AbortSignal; readonly onWait?: () => void},
  work: () => Promise<T>,
): Promise<T> {
  await mkdir(home.dataDir, {recursive: true})
  const path = hostLockPath(home)
  let held = await acquireFlock(path, {wait: false, shared: options.shared, signal: options.signal})
  if (held === 'busy') {
    options.onWait?.()
    held = (await acquireFlock(path, {wait: true, shared: options.shared, signal: options.signal})) as HeldFlock
  }
  try {
    return await work()
  } finally {
    await held.release()
  }
}
