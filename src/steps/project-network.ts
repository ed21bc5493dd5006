/**
 * The project's private network over the life of its machines: made (or started) before the
 * first machine that asks for it is created, removed when its last machine is destroyed.
 */
import {ensurePrivateNetwork, removePrivateNetworkIfUnused} from '../network/ensure-private-network.js'
import {inspectSubnets} from '../network/inspect-subnets.js'
import {planPrivateNetwork, privateNetworkName, type PrivateNetworkPlan} from '../network/private-network.js'
import {inspectMachine} from '../machine/inspect.js'
import type {Project} from '../machine/project.js'
import type {Services} from '../services.js'

/** Plans from every machine of the Vmfile (not only those being created), so addresses agree. */
export async function ensureProjectNetwork(services: Services, project: Project): Promise<PrivateNetworkPlan | undefined> {
  const subnets = await inspectSubnets(services.virsh, privateNetworkName(project.dir))
  const plan = planPrivateNetwork(project.dir, project.vmfile.machines, subnets.taken, subnets.current ? {currentSubnet: subnets.current} : {})
  if (plan) await ensurePrivateNetwork(services.virsh, plan, services.out.info)
  return plan
}

/** After machines are destroyed (or a failed first `up` rolled back): removes the network when none is left. */
export async function removeProjectNetworkIfUnused(services: Services, project: Project): Promise<void> {
  // A project whose Vmfile asks for no private network has none to remove (and costs no calls).
  if (!project.vmfile.machines.some((m) => m.privateNetwork)) return
  const statuses = await Promise.all(project.vmfile.machines.map((m) => inspectMachine(services.virsh, project.dir, m.name)))
  const remaining = statuses.filter((s) => s.state !== 'not_created').length
  const outcome = await removePrivateNetworkIfUnused(services.virsh, project.dir, remaining)
  if (outcome === 'removed') services.out.info(`removed private network ${privateNetworkName(project.dir)}`)
}
