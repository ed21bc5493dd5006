import {VmError} from '../errors.js'
import {inspectAllMachines, type ManagedMachine} from '../machine/inspect-all.js'
import {overlayVolumeName, seedVolumeName} from '../machine/names.js'
import {parseNetworkFacts} from '../network/network-xml.js'
import type {Services} from '../services.js'
import {isPathGone} from '../util/path-gone.js'

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

/**
 * Whose machines and networks prune may take. On a libvirt host that several users share
 * (qemu:///system), only the caller's own (the uid in the metadata); root may ask for everyone's
 * with --all-users. A session connection is the user's own libvirt: everything there is theirs.
 */
export type PruneScope = {readonly allUsers: true} | {readonly allUsers: false; readonly uid: number}

export type PruneFacts = {
  readonly scope: PruneScope
  readonly machines: readonly ManagedMachine[]
  /** Every domain name on the host, vm's or not: a volume named after any of them is in use. */
  readonly domains: readonly string[]
  readonly volumes: readonly string[]
  readonly networks: readonly {readonly name: string; readonly owner?: string; readonly ownerUid?: number; readonly connections: number; readonly projectExists: boolean}[]
}

/** Whose machines prune may take (see PruneScope): a session connection is the user's own. */
export function pruneScope(uri: string, allUsers: boolean, uid: number = process.getuid?.() ?? 0): PruneScope {
  if (allUsers && uid !== 0) {
    throw new VmError("Only root may prune other users' machines.", {code: 'NOT_PERMITTED', exitCode: 2, hint: 'Run `sudo vm global-status --prune --all-users`, or leave out --all-users to prune your own.'})
  }
  if (allUsers || /^qemu(\+[a-z]+)?:\/\/[^/]*\/session/.test(uri)) return {allUsers: true}
  return {allUsers: false, uid}
}

function inScope(scope: PruneScope, uid: number | undefined): boolean {
  return scope.allUsers || uid === scope.uid
}

/** What to remove, from what libvirt holds. Pure. */
export function planPrune(facts: PruneFacts): PruneTarget[] {
  const gone = facts.machines.filter((m) => !m.projectExists && inScope(facts.scope, m.ownerUid))
  const goneDomains = new Set(gone.map((m) => m.domain))
  // Volumes record no owner; one whose machine is gone (of any user) serves nobody, and the host
  // lock keeps an `up` that has made volumes but not yet the domain out of the way.
  const liveDomains = new Set(facts.domains.filter((d) => !goneDomains.has(d)))
  const projectsWithMachines = new Set(facts.machines.filter((m) => m.projectExists).map((m) => m.project))
  const volumes = facts.volumes.filter((volume) => {
    const domain = domainOfVolume(volume)
    // Volumes of a gone project's machines go with the machine.
    return domain !== undefined && !liveDomains.has(domain) && !goneDomains.has(domain)
  })
  const networks = facts.networks.filter(
    (n) => n.owner !== undefined && inScope(facts.scope, n.ownerUid) && n.connections === 0 && (!n.projectExists || !projectsWithMachines.has(n.owner)),
  )
  return [
    ...gone.map((machine) => ({kind: 'machine' as const, machine})),
    ...volumes.map((name) => ({kind: 'volume' as const, name})),
    ...networks.map((n) => ({kind: 'network' as const, name: n.name, project: n.owner!})),
  ]
}

/** How many machines of gone folders planPrune left because they are other users' (or unrecorded). Pure. */
export function countLeftToOthers(facts: Pick<PruneFacts, 'scope' | 'machines'>): number {
  return facts.machines.filter((m) => !m.projectExists && !inScope(facts.scope, m.ownerUid)).length
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

export async function inspectPrunable(services: Services, scope: PruneScope): Promise<{targets: PruneTarget[]; leftToOthers: number}> {
  const {virsh, libvirt} = services
  const machines = await inspectAllMachines(virsh)
  const domains = await virsh.listDomains()
  const volumes = await virsh.listVolumesIfPool(libvirt.pool)
  const networks = await Promise.all(
    (await virsh.listNetworks()).map(async (name) => {
      const xml = await virsh.networkXml(name)
      const facts = xml === undefined ? undefined : parseNetworkFacts(xml)
      const projectExists = facts?.owner === undefined ? true : !(await isPathGone(facts.owner))
      return {name, owner: facts?.owner, ...(facts?.ownerUid === undefined ? {} : {ownerUid: facts.ownerUid}), connections: facts?.connections ?? 0, projectExists}
    }),
  )
  const facts = {scope, machines, domains, volumes, networks}
  return {targets: planPrune(facts), leftToOthers: countLeftToOthers(facts)}
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
        if ((await virsh.networkInfo(target.name))?.Active === 'yes') await virsh.destroyNetwork(target.name)
        await virsh.undefineNetwork(target.name)
      }
      out.info(`removed ${describePruneTarget(target)}`)
    } catch (error) {
      first ??= error
      out.warn(`could not remove ${describePruneTarget(target)}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  if (first !== undefined) throw first
}
