import {access} from 'node:fs/promises'

import {inspectAllMachines, type ManagedMachine} from '../machine/inspect-all.js'
import {overlayVolumeName, seedVolumeName} from '../machine/names.js'
import {listNetworks, networkXml, destroyNetwork, undefineNetwork} from '../network/network-virsh.js'
import {parseNetworkFacts} from '../network/network-xml.js'
import {parseVolumeList} from '../libvirt/virsh-parse.js'
import type {Services} from '../services.js'

/**
 * `vm global-status --prune`: what vm made on this libvirt host that nothing uses any more —
 * machines of project folders that are gone, volumes of machines that are gone (an `up` killed
 * halfway), private networks of projects without machines — and its removal. Boxes are
 * `vm box prune`'s business and are never touched here.
 */
export type PruneTarget =
  | {readonly kind: 'machine'; readonly machine: ManagedMachine}
  | {readonly kind: 'volume'; readonly name: string}
  | {readonly kind: 'network'; readonly name: string; readonly project: string}

export type PruneFacts = {
  readonly machines: readonly ManagedMachine[]
  /** Every domain name on the host, vm's or not: a volume named after any of them is in use. */
  readonly domains: readonly string[]
  readonly volumes: readonly string[]
  readonly networks: readonly {readonly name: string; readonly owner?: string; readonly connections: number; readonly projectExists: boolean}[]
}

/** What to remove, from what libvirt holds. Pure. */
export function planPrune(facts: PruneFacts): PruneTarget[] {
  const gone = facts.machines.filter((m) => !m.projectExists)
  const goneDomains = new Set(gone.map((m) => m.domain))
  const liveDomains = new Set(facts.domains.filter((d) => !goneDomains.has(d)))
  const projectsWithMachines = new Set(facts.machines.filter((m) => m.projectExists).map((m) => m.project))
  const volumes = facts.volumes.filter((volume) => {
    const domain = domainOfVolume(volume)
    // Volumes of a gone project's machines go with the machine.
    return domain !== undefined && !liveDomains.has(domain) && !goneDomains.has(domain)
  })
  const networks = facts.networks.filter((n) => n.owner !== undefined && n.connections === 0 && (!n.projectExists || !projectsWithMachines.has(n.owner)))
  return [
    ...gone.map((machine) => ({kind: 'machine' as const, machine})),
    ...volumes.map((name) => ({kind: 'volume' as const, name})),
    ...networks.map((n) => ({kind: 'network' as const, name: n.name, project: n.owner!})),
  ]
}

/**
 * The domain a machine's volume belongs to (names.ts: `<folder>-<machine>-<hash>.qcow2` and
 * `...-seed.iso`); undefined for boxes (named by their sha256) and for anything vm did not name.
 */
export function domainOfVolume(volume: string): string | undefined {
  if (/^[0-9a-f]{64}\.qcow2$/.test(volume)) return undefined
  return /^([a-z0-9][a-z0-9-]*-[0-9a-f]{8})(-seed\.iso|\.qcow2)$/.exec(volume)?.[1]
}

export function describePruneTarget(target: PruneTarget): string {
  switch (target.kind) {
    case 'machine':
      return `machine ${target.machine.name} of ${target.machine.project} (folder gone; ${target.machine.state}): domain ${target.machine.domain} and its disk`
    case 'volume':
      return `volume ${target.name} (its machine is gone)`
    case 'network':
      return `private network ${target.name} of ${target.project} (no machines left)`
  }
}

export async function inspectPrunable(services: Services): Promise<PruneTarget[]> {
  const {virsh, libvirt} = services
  const machines = await inspectAllMachines(virsh)
  const domains = await virsh.listDomains()
  const volumeList = await virsh.query(['vol-list', '--pool', libvirt.pool])
  const networks = await Promise.all(
    (await listNetworks(virsh)).map(async (name) => {
      const xml = await networkXml(virsh, name)
      const facts = xml === undefined ? undefined : parseNetworkFacts(xml)
      const projectExists = facts?.owner === undefined ? true : await access(facts.owner).then(() => true, () => false)
      return {name, owner: facts?.owner, connections: facts?.connections ?? 0, projectExists}
    }),
  )
  return planPrune({machines, domains, volumes: volumeList === undefined ? [] : parseVolumeList(volumeList), networks})
}

/** Removes each target, saying what it removed; goes on past a failure and rethrows the first. */
export async function prune(services: Services, targets: readonly PruneTarget[]): Promise<void> {
  const {virsh, libvirt, out} = services
  let first: unknown
  for (const target of targets) {
    try {
      if (target.kind === 'machine') {
        await virsh.removeDomain(target.machine.domain, target.machine.state === 'suspended' ? 'shutoff' : target.machine.state)
        for (const volume of [overlayVolumeName(target.machine.domain), seedVolumeName(target.machine.domain)]) await virsh.deleteVolumeIfPresent(libvirt.pool, volume)
      } else if (target.kind === 'volume') {
        await virsh.deleteVolumeIfPresent(libvirt.pool, target.name)
      } else {
        if ((await virsh.networkInfo(target.name))?.Active === 'yes') await destroyNetwork(virsh, target.name)
        await undefineNetwork(virsh, target.name)
      }
      out.info(`removed ${describePruneTarget(target)}`)
    } catch (error) {
      first ??= error
      out.warn(`could not remove ${describePruneTarget(target)}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  if (first !== undefined) throw first
}
