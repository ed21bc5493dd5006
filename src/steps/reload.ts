import {VmError} from '../errors.js'
import {updateDomainXml} from '../libvirt/domain-update.js'
import {parseDomainFacts} from '../libvirt/domain-facts.js'
import {inspectMachine} from '../machine/inspect.js'
import type {Project} from '../machine/project.js'
import {forwardNetdevArgs, parseForwardMacFromDomainXml, parseForwardsFromDomainXml} from '../ports/qemu-args.js'
import {formatPortForward} from '../ports/port-spec.js'
import type {Services} from '../services.js'
import {machineOutput} from '../ui/output.js'
import {formatSize} from '../vmfile/size.js'
import type {MachineConfig} from '../vmfile/types.js'
import {describeDrift} from './config-drift.js'
import {haltMachines, type HaltOptions} from './halt.js'
import {settleAll} from './settle.js'
import {upMachines, type UpOptions} from './up.js'

/**
 * `vm reload`: halt, apply what the Vmfile changed that takes effect at the next start (CPUs,
 * memory, forwarded ports), then `up` (which also creates machines that do not exist yet and
 * provisions with --provision). What can only change by making the machine again (live folders,
 * networks, the first forwarded port) is refused before anything is halted.
 */
export async function reloadMachines(services: Services, project: Project, machines: readonly MachineConfig[], options: UpOptions & {halt: HaltOptions}): Promise<void> {
  const plans = await Promise.all(machines.map((m) => planReload(services, project, m)))
  const refused = plans.flatMap((p) => (p.refusal ? [p.refusal] : []))
  if (refused.length > 0) {
    throw new VmError(`vm reload cannot apply every change: ${refused.join('; ')}.`, {
      code: 'RELOAD_NEEDS_RECREATE',
      hint: `Those are fixed when a machine is made: \`vm destroy ${machines.map((m) => m.name).join(' ')}\` then \`vm up\` (the disks are lost), or undo the change in the Vmfile.`,
    })
  }
  const existing = plans.filter((p) => p.xml !== undefined)
  await haltMachines(services, project, existing.map((p) => p.machine), options.halt)
  await settleAll(existing.map((p) => ({name: p.machine.name, ...p})), async (plan) => {
    const out = machineOutput(services.out, plan.machine.name)
    if (plan.changes.length === 0 || plan.updated === undefined) return
    await services.virsh.defineDomain(plan.updated)
    out.info(`applied: ${plan.changes.join(', ')}`)
  }, 'take the new settings')
  await upMachines(services, project, machines, options)
}

type ReloadPlan = {machine: MachineConfig; xml?: string; updated?: string; changes: string[]; refusal?: string}

async function planReload(services: Services, project: Project, machine: MachineConfig): Promise<ReloadPlan> {
  const status = await inspectMachine(services.virsh, project.dir, machine.name)
  if (status.state === 'not_created') return {machine, changes: []}
  const xml = await services.virsh.domainXml(status.domain, {inactive: true})
  if (xml === undefined) return {machine, changes: []}
  const facts = parseDomainFacts(xml)
  // Ports are ours to change; the rest of the drift (folders, NICs) needs the machine made again.
  const fixed = describeDrift({...machine, ports: parseForwardsFromDomainXml(xml)}, xml, facts)
  const mac = parseForwardMacFromDomainXml(xml)
  const portsChanged = portsOf(parseForwardsFromDomainXml(xml)) !== portsOf(machine.ports)
  if (portsChanged && !mac) fixed.push('the first forwarded port (the machine was made without the NIC that carries them)')
  if (fixed.length > 0) return {machine, xml, changes: [], refusal: `${machine.name}: ${fixed.join('; ')}`}
  const changes = describeChanges(machine, facts, portsChanged)
  const qemuArgs = mac && machine.ports.length > 0 ? forwardNetdevArgs(machine.ports, mac) : []
  const updated = changes.length > 0 ? updateDomainXml(xml, {memoryBytes: machine.memoryBytes, cpus: machine.cpus, qemuArgs: mac ? qemuArgs : []}) : undefined
  return {machine, xml, changes, ...(updated ? {updated} : {})}
}

function describeChanges(machine: MachineConfig, facts: ReturnType<typeof parseDomainFacts>, portsChanged: boolean): string[] {
  const changes: string[] = []
  if (facts.cpus !== undefined && facts.cpus !== machine.cpus) changes.push(`${machine.cpus} CPU${machine.cpus === 1 ? '' : 's'} (was ${facts.cpus})`)
  if (facts.memoryBytes !== undefined && facts.memoryBytes !== machine.memoryBytes) {
    changes.push(`${formatSize(machine.memoryBytes)} memory (was ${formatSize(facts.memoryBytes)})`)
  }
  if (portsChanged) changes.push(`ports ${machine.ports.map(formatPortForward).join(', ') || 'none'}`)
  return changes
}

function portsOf(forwards: readonly Parameters<typeof formatPortForward>[0][]): string {
  return forwards.map(formatPortForward).sort().join('|')
}
