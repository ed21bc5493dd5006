import {readFile} from 'node:fs/promises'

import {writeFileAtomic} from '../util/atomic-write.js'
import {withFileLock} from '../util/file-lock.js'

/**
 * known_hosts content with ALIAS pinned to PUBLIC_KEY ("ssh-ed25519 AAAA... comment"): any older
 * line for the alias is replaced, other lines are kept as they were.
 */
export function withHostKey(text: string, alias: string, publicKey: string): string {
  const [type, key] = publicKey.trim().split(/\s+/)
  if (!type || !key) throw new Error(`not an OpenSSH public key: ${publicKey}`)
  return [...linesWithout(text, alias), `${alias} ${type} ${key}`].join('\n') + '\n'
}

/** known_hosts content without ALIAS's lines (used when a machine is destroyed). */
export function withoutHost(text: string, alias: string): string {
  const lines = linesWithout(text, alias)
  return lines.length ? lines.join('\n') + '\n' : ''
}

function linesWithout(text: string, alias: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !line.split(/\s+/)[0]!.split(',').includes(alias))
}

/*
 * Both are read-modify-write of one file that machines brought up in parallel (and other vm
 * processes of the project) change at the same time: without the lock, one machine's key is lost
 * and its SSH login fails host-key verification.
 */
export async function pinHostKey(path: string, alias: string, publicKey: string): Promise<void> {
  await withFileLock(path, {pollMs: 20}, async () => {
    await writeFileAtomic(path, withHostKey(await readIfExists(path), alias, publicKey), 0o600)
  })
}

export async function unpinHostKey(path: string, alias: string): Promise<void> {
  await withFileLock(path, {pollMs: 20}, async () => {
    const text = await readIfExists(path)
    if (text !== '') await writeFileAtomic(path, withoutHost(text, alias), 0o600)
  })
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw error
  }
}
