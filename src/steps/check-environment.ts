/**
 * Everything about a machine's environment that can be wrong on the host, checked before
 * anything is created or started, so that bad input never leaves half-made machines: host
 * folders, virtiofsd, forwarded ports, networks and bridges.
 */
import type {Grant} from '../consent/grant.js'
import {access, stat} from 'node:fs/promises'

import {VmError} from '../errors.js'
import {ensureNetwork} from '../machine/host.js'
import {findBusyPorts} from '../ports/busy-ports.js'
import {portProbeError} from '../ports/port-errors.js'
import type {Services} from '../services.js'
import type {MachineConfig} from '../vmfile/types.js'

/** Where distributions put virtiofsd: Debian 12 in qemu-system-common, newer ones in its own package. */
export const VIRTIOFSD_PATHS = ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd', '/usr/bin/virtiofsd'] as const

export type EnvironmentChecks = {
  /** Machines that will be created: their live folders and NICs are fixed then. */
  readonly toCreate: readonly MachineConfig[]
  /** Machines that will be started or created (not the running ones): their ports must be free. */
  readonly toStart: readonly MachineConfig[]
  /** What the user allowed beyond the project; folders must lead inside it or there. */
  readonly grant: Grant
}

/** Checks the host for every machine to start; returns the virtiofsd path when one is needed. */
export async function checkEnvironment(services: Services, {toCreate, toStart, grant}: EnvironmentChecks): Promise<{virtiofsdPath?: string}> {
  for (const machine of toStart) await checkRsyncFolders(machine, grant)
  let virtiofsdPath: string | undefined
  for (const machine of toCreate) {
    const live = machine.folders.filter((f) => f.type !== 'rsync')
    if (live.length === 0) continue
    if (!services.libvirt.local) {
      throw new VmError(`${machine.name}: ${live[0]!.type} folders need libvirt on this host, but vm talks to ${services.virsh.uri}.`, {
        code: 'LIVE_FOLDER_REMOTE',
        exitCode: 2,
        hint: 'Use `type: rsync` for folders of machines on a remote libvirt.',
      })
    }
    for (const folder of live) await requireDirectory(machine.name, await grant.hostPath(folder.hostPath, `${folder.type} folder`))
    if (live.some((f) => f.type === 'virtiofs')) virtiofsdPath ??= await findVirtiofsd(machine.name)
  }
  for (const machine of toCreate) {
    if (machine.network) await ensureNetwork(services.virsh, machine.network, services.out.info)
    if (machine.bridge && services.libvirt.local) await requireBridge(machine.name, machine.bridge)
  }
  for (const machine of toStart) {
    const error = portProbeError(await findBusyPorts(machine.ports), machine.name)
    if (error) throw error
  }
  return virtiofsdPath ? {virtiofsdPath} : {}
}

async function checkRsyncFolders(machine: MachineConfig, grant: Grant): Promise<void> {
  for (const folder of machine.folders) if (folder.type === 'rsync') await requireDirectory(machine.name, await grant.hostPath(folder.hostPath, 'synced folder'))
}

async function requireDirectory(machine: string, path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined)
  if (info?.isDirectory()) return
  throw new VmError(`${machine}: the host folder ${path} ${info ? 'is not a folder' : 'does not exist'}.`, {
    code: 'FOLDER_NOT_FOUND',
    exitCode: 2,
    hint: info ? 'Point `host:` under `folders:` at a folder.' : `Create it (\`mkdir -p '${path}'\`) or fix \`host:\` under \`folders:\` in the Vmfile.`,
  })
}

async function findVirtiofsd(machine: string): Promise<string> {
  for (const path of VIRTIOFSD_PATHS) {
    if (await access(path).then(() => true, () => false)) return path
  }
  throw new VmError(`${machine}: a virtiofs folder needs virtiofsd on this host, and it is not installed.`, {
    code: 'VIRTIOFSD_NOT_FOUND',
    hint: 'Debian 12: `sudo apt-get install qemu-system-common`; Debian 13 and Ubuntu 24.04: `sudo apt-get install virtiofsd`. Or use `type: rsync`.',
    detail: `Looked in ${VIRTIOFSD_PATHS.join(', ')}.`,
  })
}

async function requireBridge(machine: string, bridge: string): Promise<void> {
  if (await access(`/sys/class/net/${bridge}/bridge`).then(() => true, () => false)) return
  throw new VmError(`${machine}: there is no bridge named ${bridge} on this host.`, {
    code: 'BRIDGE_NOT_FOUND',
    exitCode: 2,
    hint: `List the bridges with \`ip link show type bridge\`, or create one: \`sudo ip link add ${bridge} type bridge && sudo ip link set ${bridge} up\`.`,
  })
}
