import {VmError} from '../errors.js'
import {parseDomainFacts, type DomainFacts} from '../libvirt/domain-facts.js'
import type {Virsh} from '../libvirt/virsh.js'
import {domainName} from './names.js'

/** A machine as libvirt sees it right now. */
export type MachineStatus = {
  readonly name: string
  readonly domain: string
  /** not_created, running, shutoff, paused, or libvirt's other states in snake_case. */
  readonly state: string
  readonly ip?: string
  readonly facts?: DomainFacts
}

/**
 * Reads a machine's state, and its IP when it runs, from libvirt. Refuses a domain that carries
 * our name but not our ownership: vm never touches what it did not create.
 */
export async function inspectMachine(virsh: Virsh, projectDir: string, machine: string): Promise<MachineStatus> {
  const domain = domainName(projectDir, machine)
  const state = await virsh.domainState(domain)
  if (state === undefined) return {name: machine, domain, state: 'not_created'}
  const xml = await virsh.domainXml(domain)
  const facts = xml === undefined ? undefined : parseDomainFacts(xml)
  if (facts && (facts.owner?.projectDir !== projectDir || facts.owner.machine !== machine)) {
    throw new VmError(`libvirt domain ${domain} exists but was not created by vm for this project.`, {
      code: 'DOMAIN_NOT_OURS',
      hint: `Rename the project folder, or remove that domain yourself if it is stale: \`virsh -c ${virsh.uri} undefine ${domain}\`.`,
    })
  }
  let ip: string | undefined
  if (state === 'running' && facts?.mac && facts.network) {
    ip = (await virsh.dhcpLeases(facts.network, facts.mac)).at(-1)?.ip
  }
  return {name: machine, domain, state, ip, facts}
}

/**
 * Why a paused machine is paused, when it is the host's fault: QEMU stops a guest whose disk
 * write failed (typically: the disk holding its overlay is full), which otherwise looks like a
 * hang. Undefined for a machine that is not paused, or paused for another reason.
 */
export async function inspectPauseProblem(virsh: Virsh, status: MachineStatus): Promise<string | undefined> {
  if (status.state !== 'paused') return undefined
  return (await virsh.domainStateReason(status.domain)) === 'I/O error' ? 'I/O error' : undefined
}
