import {parseXml, renderXml, xmlAttr as attr, xmlChild as child, xmlText as text, type XmlNode} from '../libvirt/xml.js'
import {formatCidr, netmaskPrefix, parseCidr, parseIpv4} from './ipv4.js'
import type {PrivateNetworkPlan} from './private-network.js'

/** Our namespace for ownership data inside a network's <metadata>: vm removes only networks that carry it. */
export const NETWORK_METADATA_NS = 'https://vmfile.dev/xmlns/network/1'
const PREFIX = 'vm'

/**
 * Renders the libvirt network XML of a private network. Pure and escaped (built as data).
 * Isolated: no <forward>, so guests reach each other and the host's dnsmasq but nothing beyond;
 * libvirt then also sends DHCP clients no default route.
 */
export function renderNetworkXml(plan: PrivateNetworkPlan, ownerUid: number): string {
  return renderXml({
    network: {
      name: plan.name,
      metadata: {[`${PREFIX}:network`]: {[`@_xmlns:${PREFIX}`]: NETWORK_METADATA_NS, [`${PREFIX}:project`]: plan.projectDir, [`${PREFIX}:user`]: {'@_uid': ownerUid}}},
      bridge: {'@_name': plan.bridge, '@_stp': 'on', '@_delay': 0},
      // Names under the domain are answered by dnsmasq alone, never forwarded to the host's resolvers.
      domain: {'@_name': plan.domain, '@_localOnly': 'yes'},
      ip: {
        '@_address': plan.gateway,
        '@_netmask': plan.netmask,
        ...(plan.dhcpRange ? {dhcp: {range: {'@_start': plan.dhcpRange.start, '@_end': plan.dhcpRange.end}}} : {}),
      },
    },
  })
}

/** What vm reads back from `virsh net-dumpxml`. */
export type NetworkFacts = {
  /** The project folder from our metadata; undefined for a network vm did not create. */
  readonly owner?: string
  /** The uid of the user whose `vm up` made it; undefined for networks made before vm recorded it. */
  readonly ownerUid?: number
  readonly bridge?: string
  /** Interfaces attached right now (libvirt writes the count on an active network's root). */
  readonly connections: number
  readonly ipv4: readonly {readonly address: string; readonly subnet: string; readonly dhcpRanges: readonly {readonly start: string; readonly end: string}[]}[]
}

export function parseNetworkFacts(xml: string): NetworkFacts {
  const network = (parseXml(xml, ['ip', 'range']).network ?? {}) as XmlNode
  const ours = ourMetadata(network.metadata)
  return {
    owner: ours?.project,
    ...(ours?.uid === undefined ? {} : {ownerUid: ours.uid}),
    bridge: attr(network.bridge, 'name'),
    connections: Number(attr(network, 'connections') ?? 0),
    ipv4: ipv4Blocks(network),
  }
}

export function parseNetworkOwner(xml: string): string | undefined {
  return parseNetworkFacts(xml).owner
}

/** The IPv4 subnets of a network as CIDRs ("192.168.122.0/24"), for planPrivateNetwork's takenSubnets. */
export function parseNetworkSubnets(xml: string): string[] {
  return parseNetworkFacts(xml).ipv4.map((ip) => ip.subnet)
}

function ipv4Blocks(network: XmlNode): NetworkFacts['ipv4'] {
  const blocks: Array<NetworkFacts['ipv4'][number]> = []
  for (const ip of asArray(network.ip)) {
    const family = attr(ip, 'family')
    const address = attr(ip, 'address')
    if ((family !== undefined && family !== 'ipv4') || address === undefined || parseIpv4(address) === undefined) continue
    // libvirt accepts either netmask='255.255.255.0' or prefix='24'.
    const netmask = attr(ip, 'netmask')
    const prefix = netmask === undefined ? Number(attr(ip, 'prefix') ?? 24) : netmaskPrefix(netmask)
    const cidr = prefix === undefined ? undefined : parseCidr(`${address}/${prefix}`)
    if (!cidr) continue
    const ranges = asArray(child(ip, 'dhcp')?.range).map((range) => ({start: attr(range, 'start') ?? '', end: attr(range, 'end') ?? ''}))
    blocks.push({address, subnet: formatCidr(cidr), dhcpRanges: ranges})
  }
  return blocks
}

function ourMetadata(metadata: unknown): {project: string; uid?: number} | undefined {
  if (!metadata || typeof metadata !== 'object') return undefined
  // libvirt keeps our element but may write it under another prefix, so find it by namespace.
  for (const [key, value] of Object.entries(metadata as XmlNode)) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue
    const prefix = key.includes(':') ? key.split(':')[0]! : ''
    if (attr(value, prefix ? `xmlns:${prefix}` : 'xmlns') !== NETWORK_METADATA_NS) continue
    const p = prefix ? `${prefix}:` : ''
    const project = text(value[`${p}project`])
    const uid = Number(attr(value[`${p}user`], 'uid'))
    if (project !== undefined) return {project, ...(Number.isInteger(uid) && uid >= 0 ? {uid} : {})}
  }
  return undefined
}

function asArray(value: unknown): XmlNode[] {
  if (value === undefined || value === null || value === '') return []
  return (Array.isArray(value) ? value : [value]).filter((item): item is XmlNode => typeof item === 'object' && item !== null)
}
