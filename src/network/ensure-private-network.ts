import {VmError} from '../errors.js'
import type {Virsh} from '../libvirt/virsh.js'
import {parseNetworkFacts, renderNetworkXml, type NetworkFacts} from './network-xml.js'
import {privateNetworkName, type PrivateNetworkPlan} from './private-network.js'

/** What ensurePrivateNetwork did; 'created' tells a rollback that this run owns the network. */
export type EnsureNetworkOutcome = 'created' | 'redefined' | 'started' | 'running'

/**
 * The project's private network exists as planned and runs. Idempotent: a missing network is
 * defined, autostarted and started; ours is started when inactive; someone else's network under
 * our name is never touched.
 *
 * When the Vmfile changed the addressing (another subnet, DHCP added or dropped) an inactive
 * network is redefined; a running one is refused, because machines attached to it would keep
 * addresses from the old subnet.
 */
export async function ensurePrivateNetwork(
  virsh: Virsh,
  plan: PrivateNetworkPlan,
  log: (line: string) => void = () => {},
): Promise<EnsureNetworkOutcome> {
  const xml = await virsh.networkXml(plan.name)
  if (xml === undefined) {
    log(`Creating private network ${plan.name} (${plan.subnet})`)
    await create(virsh, plan, {undoOnFailure: true})
    return 'created'
  }
  const facts = parseNetworkFacts(xml)
  if (facts.owner !== plan.projectDir) throw new NetworkNotOursError(virsh.uri, plan, facts.owner)
  const active = (await virsh.networkInfo(plan.name))?.Active === 'yes'
  const changes = differences(facts, plan)
  if (changes.length > 0) {
    if (active) throw new PrivateNetworkChangedError(plan, changes)
    log(`Redefining private network ${plan.name} (${plan.subnet})`)
    await virsh.undefineNetwork(plan.name)
    await create(virsh, plan, {undoOnFailure: false})
    return 'redefined'
  }
  if (active) return 'running'
  log(`Starting private network ${plan.name}`)
  await virsh.startNetwork(plan.name)
  return 'started'
}

export type RemoveNetworkOutcome = 'removed' | 'absent' | 'machines-left' | 'interfaces-attached' | 'not-ours'

/**
 * Stops and undefines the project's private network once none of its machines is left (call it
 * after destroying machines, with how many remain). Never removes a network without our
 * ownership, nor one that still has interfaces attached (a machine outside the project that
 * someone connected by hand would lose its link).
 */
export async function removePrivateNetworkIfUnused(virsh: Virsh, projectDir: string, remainingMachines: number): Promise<RemoveNetworkOutcome> {
  if (remainingMachines > 0) return 'machines-left'
  const name = privateNetworkName(projectDir)
  const xml = await virsh.networkXml(name)
  if (xml === undefined) return 'absent'
  const facts = parseNetworkFacts(xml)
  if (facts.owner !== projectDir) return 'not-ours'
  if (facts.connections > 0) return 'interfaces-attached'
  if ((await virsh.networkInfo(name))?.Active === 'yes') await virsh.destroyNetwork(name)
  await virsh.undefineNetwork(name)
  return 'removed'
}

/**
 * define → autostart → start. A network this call defined is undefined again when it will not
 * start (typically: its subnet is already routed on the host), so a failed `up` leaves nothing.
 */
async function create(virsh: Virsh, plan: PrivateNetworkPlan, {undoOnFailure}: {undoOnFailure: boolean}): Promise<void> {
  await virsh.defineNetwork(renderNetworkXml(plan, process.getuid?.() ?? 0))
  try {
    await virsh.autostartNetwork(plan.name)
    await virsh.startNetwork(plan.name)
  } catch (error) {
    if (undoOnFailure) await virsh.undefineNetwork(plan.name).catch(() => {})
    throw error
  }
}

/** How the existing network differs from the plan, one line per fact, for the error's detail. */
function differences(facts: NetworkFacts, plan: PrivateNetworkPlan): string[] {
  const lines: string[] = []
  const ip = facts.ipv4.length === 1 ? facts.ipv4[0] : undefined
  const have = facts.ipv4.map((block) => block.subnet).join(', ') || 'none'
  if (ip?.subnet !== plan.subnet || ip.address !== plan.gateway) lines.push(`  subnet: ${have} → ${plan.subnet}`)
  const range = (r?: {start: string; end: string}) => (r ? `${r.start}-${r.end}` : 'none')
  const haveRanges = ip?.dhcpRanges ?? []
  const same = plan.dhcpRange
    ? haveRanges.length === 1 && range(haveRanges[0]) === range(plan.dhcpRange)
    : haveRanges.length === 0
  if (!same) lines.push(`  DHCP range: ${haveRanges.map((r) => range(r)).join(', ') || 'none'} → ${range(plan.dhcpRange)}`)
  if (facts.bridge !== plan.bridge) lines.push(`  bridge: ${facts.bridge ?? 'none'} → ${plan.bridge}`)
  return lines
}

export class NetworkNotOursError extends VmError {
  constructor(uri: string, plan: PrivateNetworkPlan, owner: string | undefined) {
    super(
      owner === undefined
        ? `libvirt already has a network named "${plan.name}" that vm did not create; vm leaves it alone.`
        : `libvirt's network "${plan.name}" belongs to another project (${owner}).`,
      {
        code: 'NETWORK_NOT_OURS',
        hint: `Look at it with \`virsh -c ${uri} net-dumpxml ${plan.name}\`; remove or rename it yourself if it is not needed.`,
      },
    )
  }
}

export class PrivateNetworkChangedError extends VmError {
  constructor(plan: PrivateNetworkPlan, changes: readonly string[]) {
    super(`The private network ${plan.name} is running with other settings than the Vmfile now asks for.`, {
      code: 'PRIVATE_NETWORK_CHANGED',
      detail: changes.join('\n'),
      hint: 'Machines on it keep their old addresses: run `vm destroy` (which removes the network with the last machine), then `vm up`.',
    })
  }
}
