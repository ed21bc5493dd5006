import {parseDomainFacts} from '../libvirt/domain-facts.js'
import {inspectSuspended} from '../libvirt/managed-save.js'
import type {Virsh} from '../libvirt/virsh.js'
import {isPathGone} from '../util/path-gone.js'

/** One machine vm made on this libvirt host, whichever project it belongs to. */
export type ManagedMachine = {
  readonly name: string
  readonly project: string
  readonly state: string
  readonly ip: string | null
  readonly domain: string
  /** False when the project folder is gone: its machines can only be found from here. */
  readonly projectExists: boolean
  /** The uid of the user who made it (domain metadata); undefined for machines made before vm recorded it. */
  readonly ownerUid?: number
}

/**
 * Every domain that carries vm's ownership metadata, read live from libvirt (there is no cache to
 * go stale), sorted by project and machine. Domains of other tools are skipped; one removed
 * between the listing and its read is simply not there any more.
 */
export async function inspectAllMachines(virsh: Virsh): Promise<ManagedMachine[]> {
  const machines: ManagedMachine[] = []
  for (const domain of await virsh.listDomains()) {
    const xml = await virsh.domainXml(domain)
    const facts = xml === undefined ? undefined : parseDomainFacts(xml)
    if (!facts?.owner) continue
    const libvirtState = await virsh.domainState(domain)
    if (libvirtState === undefined) continue
    const state = (await inspectSuspended(virsh, {state: libvirtState, domain})) ? 'suspended' : libvirtState
    const ip = state === 'running' && facts.mac && facts.network ? ((await virsh.dhcpLeases(facts.network, facts.mac)).at(-1)?.ip ?? null) : null
    const projectExists = !(await isPathGone(facts.owner.projectDir))
    const owner = facts.owner.uid === undefined ? {} : {ownerUid: facts.owner.uid}
    machines.push({name: facts.owner.machine, project: facts.owner.projectDir, state, ip, domain, projectExists, ...owner})
  }
  return machines.sort((a, b) => a.project.localeCompare(b.project) || a.name.localeCompare(b.name))
}
