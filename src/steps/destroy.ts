import {inspectMachine} from '../machine/inspect.js'
import {overlayVolumeName, seedVolumeName} from '../machine/names.js'
import type {Project} from '../machine/project.js'
import type {Services} from '../services.js'
import {unpinHostKey} from '../ssh/known-hosts.js'
import {machineOutput} from '../ui/output.js'
import type {MachineConfig} from '../vmfile/types.js'
import {settleAll} from './settle.js'
import {removeProjectNetworkIfUnused} from './project-network.js'

/**
 * `vm destroy`: powers off, undefines the domain, deletes its overlay and seed ISO, unpins its host
 * key. Each part tolerates being already gone, so a half-made machine is cleaned up too. The box
 * (base volume and cache) stays for the next machine.
 */
export async function destroyMachines(services: Services, project: Project, machines: readonly MachineConfig[]): Promise<void> {
  await settleAll(machines, (machine) => destroyOne(services, project, machine), 'destroy')
  // The project's private network goes with its last machine, never before.
  await removeProjectNetworkIfUnused(services, project)
}

async function destroyOne(services: Services, project: Project, machine: MachineConfig): Promise<void> {
  const {virsh, libvirt} = services
  const out = machineOutput(services.out, machine.name)
  const {state, domain} = await inspectMachine(virsh, project.dir, machine.name)
  const removed: string[] = []
  if (state !== 'not_created') {
    await virsh.removeDomain(domain, state)
    removed.push(`domain ${domain}`)
  }
  for (const volume of [overlayVolumeName(domain), seedVolumeName(domain)]) {
    if (await virsh.deleteVolumeIfPresent(libvirt.pool, volume)) removed.push(`volume ${volume}`)
  }
  await unpinHostKey(project.paths.knownHosts, domain)
  out.info(removed.length ? `destroyed (${removed.join(', ')})` : 'not created; nothing to destroy.')
}
