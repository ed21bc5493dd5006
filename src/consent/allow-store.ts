/**
 * The user's consents, one file per project in vm's own data folder (never in the project, which
 * a repository could fill with a consent of its own): the project's path, the digest it was given
 * for, and the items as listed then.
 */
import {createHash} from 'node:crypto'
import {mkdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomic} from '../util/atomic-write.js'

export type AllowRecord = {readonly project: string; readonly digest: string; readonly items: readonly string[]; readonly allowedAt: string}

export function allowRecordPath(dataDir: string, projectDir: string): string {
  return join(dataDir, 'allow', `${createHash('sha256').update(projectDir).digest('hex').slice(0, 32)}.json`)
}

export async function readAllowRecord(dataDir: string, projectDir: string): Promise<AllowRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(allowRecordPath(dataDir, projectDir), 'utf8')) as AllowRecord
    return record.project === projectDir && typeof record.digest === 'string' ? record : undefined
  } catch {
    return undefined // None, or unreadable: either way nothing was allowed.
  }
}

export async function writeAllowRecord(dataDir: string, record: AllowRecord): Promise<void> {
  await mkdir(join(dataDir, 'allow'), {recursive: true, mode: 0o700})
  await writeFileAtomic(allowRecordPath(dataDir, record.project), `${JSON.stringify(record, null, 2)}\n`, 0o600)
}

/** Resolves whether there was a record to remove. */
export async function removeAllowRecord(dataDir: string, projectDir: string): Promise<boolean> {
  const path = allowRecordPath(dataDir, projectDir)
  const existed = await readFile(path).then(() => true, () => false)
  await rm(path, {force: true})
  return existed
}
