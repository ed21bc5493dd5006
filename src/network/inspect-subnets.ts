import type {Virsh} from '../libvirt/virsh.js'
import {parseNetworkSubnets} from './network-xml.js'

export type SubnetsInUse = {
  /** IPv4 CIDRs of every other libvirt network: a new private network must not overlap them. */
  readonly taken: string[]
  /** The subnet the network named OWN already has, if it exists. */
  readonly current?: string
}

/**
 * What planPrivateNetwork needs from libvirt: the other networks' subnets, and the project's own
 * network's, kept apart so the project never counts its own network as taken.
 */
export async function inspectSubnets(virsh: Virsh, own: string): Promise<SubnetsInUse> {
  const taken: string[] = []
  let current: string | undefined
  for (const name of await virsh.listNetworks()) {
    // A network removed between the listing and this read is simply not there any more.
    const xml = await virsh.networkXml(name)
    if (xml === undefined) continue
    const subnets = parseNetworkSubnets(xml)
    if (name === own) current = subnets[0]
    else taken.push(...subnets)
  }
  return current === undefined ? {taken} : {taken, current}
}
