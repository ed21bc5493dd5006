/**
 * The digest a consent is tied to: the Vmfile's bytes, every file it pulls in (cloud-init
 * files, shell scripts, playbooks, single files it copies) and the items as they resolve now. Any
 * change to one of them asks again, as direnv does when an .envrc changes.
 */
import {createHash} from 'node:crypto'
import {readFile, stat} from 'node:fs/promises'

import type {Vmfile} from '../vmfile/types.js'
import {hostPathsOf, type ReachItem} from './reach.js'

/** Files whose contents count: the ones vm reads whole (folders are shared or copied, not read). */
const READ_WHOLE = new Set(['cloud_init file', 'shell provisioner script', 'ansible playbook', 'file provisioner source, copied into the guest'])

export async function consentDigest(vmfile: Vmfile, items: readonly ReachItem[]): Promise<string> {
  const hash = createHash('sha256')
  const part = (label: string, bytes: Uint8Array | string) => {
    hash.update(`${label}\0${Buffer.byteLength(bytes)}\0`)
    hash.update(bytes)
  }
  part('Vmfile', await readFile(vmfile.path))
  const seen = new Set<string>()
  for (const {path, use} of hostPathsOf(vmfile)) {
    if (!READ_WHOLE.has(use) || seen.has(path)) continue
    seen.add(path)
    part(`file ${path}`, await readIfFile(path))
  }
  part('items', JSON.stringify(items))
  return hash.digest('hex')
}

async function readIfFile(path: string): Promise<Uint8Array | string> {
  try {
    if (!(await stat(path)).isFile()) return 'not a file'
    return await readFile(path)
  } catch {
    return 'missing'
  }
}
