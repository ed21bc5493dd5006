import {randomBytes} from 'node:crypto'
import {mkdtemp, readFile, rename, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {VmError} from '../errors.js'
import type {Runner} from '../exec/runner.js'
import {shellQuote} from '../exec/shell-quote.js'
import {readOwnedFile} from '../util/owned-file.js'
import {isKeyRecorded, recordKey} from './key-record.js'

export type KeyPair = {readonly privateKey: string; readonly publicKey: string}

/** ssh-keygen argv for a new passphrase-less ed25519 key at PATH (PATH.pub gets the public half). */
export function keygenArgs(path: string, comment: string): string[] {
  return ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]
}

/** Where a key lives and how vm knows it made it. */
export type ProjectKey = {
  readonly privatePath: string
  /** The user's record of keys vm made (see key-record.ts). */
  readonly recordDir: string
  readonly projectDir: string
  /** The command that clears a `.vm/` vm will not use. */
  readonly fix: string
}

/** A private key in `.vm/` that vm has no record of making. */
export class ForeignKeyError extends VmError {
  constructor(key: ProjectKey) {
    super(`vm did not make the key ${key.privatePath}, so it will not put it on machines: whoever made it could log in to them.`, {
      code: 'KEY_NOT_MADE_BY_VM',
      exitCode: 2,
      hint: `If it came with the repository: ${key.fix} If vm made it before vm recorded its keys, adopt it with \`${shellQuote(['vm', 'allow', '--key'])}\` in ${key.projectDir}.`,
    })
  }
}

/**
 * Checks the project's existing key: a regular file of the user's (no symlink), made by vm,
 * readable by nobody else (0600 forced: ssh refuses a key others can read). Resolves false when
 * there is no key.
 */
export async function checkKey(key: ProjectKey): Promise<boolean> {
  const accept = async (bytes: Buffer) => {
    if (!(await isKeyRecorded(key.recordDir, bytes))) throw new ForeignKeyError(key)
  }
  return (await readOwnedFile(key.privatePath, key.fix, {privateMode: 0o600, accept})) !== undefined
}

/** Records the key at `.vm/` as vm's own, for projects made before vm recorded its keys (`vm allow --key`). */
export async function adoptKey(key: ProjectKey): Promise<boolean> {
  const bytes = await readOwnedFile(key.privatePath, key.fix, {privateMode: 0o600})
  if (!bytes) return false
  await recordKey(key.recordDir, bytes, key.projectDir)
  return true
}

/**
 * Makes sure the project's key pair exists, made by vm (see checkKey). Generated under a temp
 * name, recorded, then renamed, so a half-made key never counts.
 */
export async function ensureKeyPair(runner: Runner, key: ProjectKey, comment: string): Promise<void> {
  if (await checkKey(key)) return
  const privatePath = key.privatePath
  const temp = `${privatePath}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await runner.run('ssh-keygen', keygenArgs(temp, comment))
    await recordKey(key.recordDir, await readFile(temp), key.projectDir)
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
