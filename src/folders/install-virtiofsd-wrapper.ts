import {createHash} from 'node:crypto'
import {mkdir, readFile, stat} from 'node:fs/promises'
import {userInfo} from 'node:os'
import {join} from 'node:path'

import type {VmHome} from '../home.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {FALLBACK_SPARE_BASE, renderVirtiofsdWrapper, subordinateBase} from './virtiofsd-wrapper.js'

/**
 * Writes the virtiofsd wrapper for the user running vm (see virtiofsd-wrapper.ts) into the data
 * folder and returns its path, for the domain's <binary path>. Named by its content: a machine
 * running on an older wrapper keeps it, and two ups never write the same file differently.
 */
export async function installVirtiofsdWrapper(home: VmHome, virtiofsd: string): Promise<string> {
  const hostUid = process.getuid?.() ?? 0
  const hostGid = process.getgid?.() ?? 0
  const name = safeUserName()
  const [subuid, subgid] = await Promise.all(['/etc/subuid', '/etc/subgid'].map((path) => readFile(path, 'utf8').catch(() => '')))
  const script = renderVirtiofsdWrapper({
    virtiofsd,
    hostUid,
    hostGid,
    spareUid: subordinateBase(subuid!, name, hostUid) ?? FALLBACK_SPARE_BASE,
    spareGid: subordinateBase(subgid!, name, hostGid) ?? FALLBACK_SPARE_BASE,
  })
  const dir = join(home.dataDir, 'virtiofsd')
  await mkdir(dir, {recursive: true, mode: 0o755})
  const path = join(dir, `virtiofsd-${createHash('sha256').update(script).digest('hex').slice(0, 16)}`)
  const existing = await stat(path).catch(() => undefined)
  // libvirtd runs it as root: only vm's own, unmodified file will do.
  if (existing?.isFile() && existing.uid === hostUid && (existing.mode & 0o022) === 0 && (await readFile(path, 'utf8')) === script) return path
  await writeFileAtomic(path, script, 0o755)
  return path
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username
  } catch {
    return undefined
  }
}
