import {randomBytes} from 'node:crypto'
import {chmod, mkdtemp, readFile, rename, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'

import type {Runner} from '../exec/runner.js'

export type KeyPair = {readonly privateKey: string; readonly publicKey: string}

/** ssh-keygen argv for a new passphrase-less ed25519 key at PATH (PATH.pub gets the public half). */
export function keygenArgs(path: string, comment: string): string[] {
  return ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]
}

/**
 * Makes sure the project's key pair exists with the private key at mode 0600 (ssh refuses a
 * key others can read). Generated under a temp name and renamed, so a half-made key never counts.
 */
export async function ensureKeyPair(runner: Runner, privatePath: string, comment: string): Promise<void> {
  const existing = await stat(privatePath).catch(() => undefined)
  if (existing) {
    if ((existing.mode & 0o077) !== 0) await chmod(privatePath, 0o600)
    return
  }
  const temp = `${privatePath}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await runner.run('ssh-keygen', keygenArgs(temp, comment))
    await rename(`${temp}.pub`, `${privatePath}.pub`)
    await rename(temp, privatePath)
  } finally {
    await rm(temp, {force: true})
    await rm(`${temp}.pub`, {force: true})
  }
}

/**
 * A fresh ed25519 key pair that never stays on disk: used as a machine's SSH host key, handed to
 * the guest through the seed, and pinned in known_hosts by its public half.
 */
export async function generateKeyPair(runner: Runner, scratchDir: string, comment: string): Promise<KeyPair> {
  const dir = await mkdtemp(join(scratchDir, 'hostkey-'))
  try {
    const path = join(dir, 'key')
    await runner.run('ssh-keygen', keygenArgs(path, comment))
    return {privateKey: await readFile(path, 'utf8'), publicKey: (await readFile(`${path}.pub`, 'utf8')).trim()}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
