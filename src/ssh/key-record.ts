/**
 * Which private keys vm generated, kept in the user's own data folder (never in the project):
 * a `.vm/id_ed25519` that is not on this list came from somewhere else (a repository that
 * committed its `.vm/`, whose author holds the same key) and is not used to make machines.
 * One file per key, named by the SHA-256 of the key file, holding the project it was made for.
 */
import {createHash} from 'node:crypto'
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomic} from '../util/atomic-write.js'

/** The record folder inside vm's data folder. */
export function keyRecordDir(dataDir: string): string {
  return join(dataDir, 'keys')
}

export function keyRecordPath(recordDir: string, privateKey: Uint8Array): string {
  return join(recordDir, createHash('sha256').update(privateKey).digest('hex'))
}

/** Notes that vm made (or the user adopted, with `vm allow`) this private key for PROJECTDIR. */
export async function recordKey(recordDir: string, privateKey: Uint8Array, projectDir: string): Promise<void> {
  await mkdir(recordDir, {recursive: true, mode: 0o700})
  await writeFileAtomic(keyRecordPath(recordDir, privateKey), `${projectDir}\n`, 0o600)
}

export async function isKeyRecorded(recordDir: string, privateKey: Uint8Array): Promise<boolean> {
  return readFile(keyRecordPath(recordDir, privateKey)).then(
    () => true,
    () => false,
  )
}
