import {mkdir, readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {VmError} from '../errors.js'
import type {VmHome} from '../home.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {isHexDigest} from './types.js'

/**
 * Boxes the user named with `vm box add NAME SOURCE`: one small JSON file per name under
 * `<dataDir>/boxes/`. They live with the user's data, not the cache: deleting the cache must not
 * forget what the user added. Each name pins the sha256 of the exact bytes that were added, so
 * `box: NAME` always means the same image, even when it has to be fetched again.
 */

export type NamedBox = {
  readonly name: string
  /** The URL or absolute path the box was added from; fetched again from there if the cache lost it. */
  readonly source: string
  /** sha256 of the source file as added (the cache entry's key). */
  readonly sha256: string
  /** How the digest was checked when the box was added: for `vm box list`. */
  readonly verifiedBy: 'sha256' | 'checksum-url' | 'local-file' | 'insecure'
  /** When set, `vm box outdated` compares against this file. */
  readonly checksumUrl?: string
  /** ISO 8601. */
  readonly addedAt: string
}

/** The same rule as catalog names: a name is a file name, and must not reach outside the folder. */
export const BOX_NAME = /^[a-z0-9][a-z0-9._-]*$/

function registryDir(home: VmHome): string {
  return join(home.dataDir, 'boxes')
}

export function checkBoxName(name: string): void {
  if (!BOX_NAME.test(name) || name.length > 64) {
    throw new VmError(`${JSON.stringify(name)} cannot be a box name.`, {
      code: 'BOX_NAME_INVALID',
      exitCode: 2,
      hint: 'Use up to 64 lower-case letters, digits, ".", "_" and "-", starting with a letter or digit.',
    })
  }
}

export async function readNamedBox(home: VmHome, name: string): Promise<NamedBox | undefined> {
  if (!BOX_NAME.test(name)) return undefined
  let text: string
  try {
    text = await readFile(join(registryDir(home), `${name}.json`), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const value = parse(text)
  if (!value || value.name !== name) {
    throw new VmError(`The record of box ${name} is damaged.`, {
      code: 'BOX_RECORD_INVALID',
      detail: join(registryDir(home), `${name}.json`),
      hint: `Add it again: vm box add ${name} SOURCE`,
    })
  }
  return value
}

export async function listNamedBoxes(home: VmHome): Promise<NamedBox[]> {
  const files = await readdir(registryDir(home)).catch(() => [] as string[])
  const boxes = await Promise.all(
    files
      .filter((file) => file.endsWith('.json') && BOX_NAME.test(file.slice(0, -'.json'.length)))
      .map((file) => readNamedBox(home, file.slice(0, -'.json'.length))),
  )
  return boxes.filter((box): box is NamedBox => box !== undefined).sort((a, b) => a.name.localeCompare(b.name))
}

export async function writeNamedBox(home: VmHome, box: NamedBox): Promise<void> {
  checkBoxName(box.name)
  await mkdir(registryDir(home), {recursive: true})
  await writeFileAtomic(join(registryDir(home), `${box.name}.json`), `${JSON.stringify(box, null, 2)}\n`)
}

/** True when there was a record to remove. */
export async function removeNamedBox(home: VmHome, name: string): Promise<boolean> {
  if (!BOX_NAME.test(name)) return false
  const file = join(registryDir(home), `${name}.json`)
  const existed = await readFile(file).then(
    () => true,
    () => false,
  )
  await rm(file, {force: true})
  return existed
}

function parse(text: string): NamedBox | undefined {
  let value: Partial<Record<keyof NamedBox, unknown>>
  try {
    value = JSON.parse(text) as typeof value
  } catch {
    return undefined
  }
  const verifiedBy = ['sha256', 'checksum-url', 'local-file', 'insecure']
  const ok =
    typeof value === 'object' &&
    value !== null &&
    typeof value.name === 'string' &&
    BOX_NAME.test(value.name) &&
    typeof value.source === 'string' &&
    typeof value.sha256 === 'string' &&
    isHexDigest(value.sha256, 'sha256') &&
    typeof value.verifiedBy === 'string' &&
    verifiedBy.includes(value.verifiedBy) &&
    (value.checksumUrl === undefined || typeof value.checksumUrl === 'string') &&
    typeof value.addedAt === 'string'
  return ok ? (value as NamedBox) : undefined
}
