import {VmError} from '../errors.js'
import {inspectMachine} from '../machine/inspect.js'
import type {Project} from '../machine/project.js'
import {sshTarget} from '../machine/ssh-target.js'
import type {Services} from '../services.js'
import type {SshTarget} from '../ssh/ssh-args.js'
import {requireProjectKey, selectMachines} from '../machine/project.js'
import type {MachineConfig} from '../vmfile/types.js'

/**
 * The named machines (or all) that have rsync folders, each running; those without rsync folders
 * are left out. Empty (after saying so) when none has any.
 */
export async function reachableWithRsyncFolders(services: Services, project: Project, names: readonly string[]): Promise<ReachableMachine[]> {
  const machines = selectMachines(project, names).filter((m) => m.folders.some((f) => f.type === 'rsync'))
  if (machines.length === 0) {
    services.out.info('No rsync folders in the Vmfile; add them under `folders:`.')
    return []
  }
  return requireRunning(services, project, machines, 'rsync folders')
}

export type ReachableMachine = {readonly machine: MachineConfig; readonly domain: string; readonly ip: string; readonly target: SshTarget}

/** The machines as running machines with their SSH targets; any that is not running is an error naming `vm up`. */
export async function requireRunning(services: Services, project: Project, machines: readonly MachineConfig[], what: string): Promise<ReachableMachine[]> {
  const statuses = await Promise.all(machines.map((m) => inspectMachine(services.virsh, project.dir, m.name)))
  const stopped = statuses.filter((s) => s.state !== 'running' || !s.ip)
  if (stopped.length > 0) {
    throw new VmError(`${stopped.map((s) => `${s.name} is ${s.state === 'running' ? 'running without an address yet' : s.state.replaceAll('_', ' ')}`).join(', ')}; ${what} need a running machine.`, {
      code: 'MACHINE_NOT_RUNNING',
      hint: `Run \`vm up ${stopped.map((s) => s.name).join(' ')}\` first.`,
    })
  }
  await requireProjectKey(project, statuses.map((s) => s.name), services.home.dataDir)
  return statuses.map((s, i) => ({machine: machines[i]!, domain: s.domain, ip: s.ip!, target: sshTarget(project, s.domain, s.ip!)}))
}
