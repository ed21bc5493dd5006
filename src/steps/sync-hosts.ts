/**
 * Machines of a project reach each other by name: every running machine gets a block in its
 * /etc/hosts listing all running machines of the project. Each machine is listed at its
 * private-network address when it has one (the network the project shares for certain), else
 * at its management address.
 */
import {renderHostsBlock, updateHostsCommand, type HostsEntry} from '../network/hosts-block.js'
import {privateNetworkName} from '../network/private-network.js'
import {inspectMachine, type MachineStatus} from '../machine/inspect.js'
import type {Project} from '../machine/project.js'
import {sshTarget} from '../machine/ssh-target.js'
import type {Services} from '../services.js'
import {sshArgs} from '../ssh/ssh-args.js'
import type {MachineConfig} from '../vmfile/types.js'

export async function syncProjectHosts(services: Services, project: Project): Promise<void> {
  const machines = project.vmfile.machines
  if (machines.length < 2) return
  const statuses = await Promise.all(machines.map((m) => inspectMachine(services.virsh, project.dir, m.name)))
  const running = statuses.filter((s) => s.state === 'running' && s.ip)
  const entries: HostsEntry[] = []
  for (const status of running) {
    const machine = machines.find((m) => m.name === status.name)!
    entries.push({name: status.name, ip: (await privateAddress(services, project, machine, status)) ?? status.ip!})
  }
  const block = renderHostsBlock(project.dir, entries)
  await Promise.all(
    running.map((status) =>
      services.runner.run('ssh', sshArgs(sshTarget(project, status.domain, status.ip!), {command: [updateHostsCommand(block)], batch: true, connectTimeoutSeconds: 10}), {
        input: block,
        signal: services.signal,
        timeoutMs: 60_000,
      }),
    ),
  )
}

async function privateAddress(services: Services, project: Project, machine: MachineConfig, status: MachineStatus): Promise<string | undefined> {
  const network = machine.privateNetwork
  if (!network) return undefined
  if (network.kind === 'static') return network.ip
  const name = privateNetworkName(project.dir)
  const nic = status.facts?.interfaces.find((i) => i.network === name)
  if (!nic?.mac) return undefined
  return (await services.virsh.dhcpLeases(name, nic.mac)).at(-1)?.ip
}
