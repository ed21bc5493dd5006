import {METADATA_NS} from './domain-xml.js'
import {parseXml, xmlAttr as attr, xmlChild as child, xmlText as text, type XmlNode} from './xml.js'

/** What vm reads back from a domain's XML: libvirt, not a local file, is the truth. */
export type DomainFacts = {
  readonly uuid: string
  readonly mac?: string
  readonly network?: string
  /** Our ownership data; undefined for a domain vm did not create. */
  readonly owner?: {readonly projectDir: string; readonly machine: string; readonly uid?: number}
  readonly serialLogPath?: string
  /** What the domain is defined with (vm reload compares them with the Vmfile). */
  readonly cpus?: number
  readonly memoryBytes?: number
  /** Every NIC libvirt knows of, first (the one vm reaches the machine through) first. */
  readonly interfaces: readonly {readonly mac?: string; readonly network?: string; readonly bridge?: string}[]
}

/** Parses `virsh dumpxml` output. Pure. */
export function parseDomainFacts(xml: string): DomainFacts {
  const domain = (parseXml(xml, ['interface', 'serial']).domain ?? {}) as XmlNode
  const ifaces = (child(domain.devices, 'interface') as unknown as XmlNode[] | undefined) ?? []
  const iface = ifaces[0]
  const serial = first(domain.devices, 'serial')
  return {
    uuid: text(domain.uuid) ?? '',
    mac: attr(child(iface, 'mac'), 'address')?.toLowerCase(),
    network: attr(child(iface, 'source'), 'network'),
    owner: parseOwner(child(domain, 'metadata')),
    serialLogPath: attr(child(serial, 'log'), 'file'),
    ...sizes(domain),
    interfaces: ifaces.map((nic) => {
      const [mac, network, bridge] = [attr(child(nic, 'mac'), 'address')?.toLowerCase(), attr(child(nic, 'source'), 'network'), attr(child(nic, 'source'), 'bridge')]
      return {...(mac ? {mac} : {}), ...(network ? {network} : {}), ...(bridge ? {bridge} : {})}
    }),
  }
}

function parseOwner(metadata: XmlNode | undefined): DomainFacts['owner'] {
  if (!metadata) return undefined
  // libvirt keeps our element but may rewrite its prefix, so find it by namespace.
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'object' || Array.isArray(value)) continue
    const prefix = key.includes(':') ? key.split(':')[0]! : ''
    const ns = attr(value, prefix ? `xmlns:${prefix}` : 'xmlns')
    if (ns !== METADATA_NS) continue
    const p = prefix ? `${prefix}:` : ''
    const projectDir = text(value[`${p}project`])
    const machine = text(value[`${p}name`])
    // Machines made before vm recorded their user have no uid: only --all-users prunes them.
    const uid = Number(attr(value[`${p}user`], 'uid'))
    if (projectDir !== undefined && machine !== undefined) return {projectDir, machine, ...(Number.isInteger(uid) && uid >= 0 ? {uid} : {})}
  }
  return undefined
}

/** vcpu and memory (libvirt writes KiB unless told otherwise). */
function sizes(domain: XmlNode): {cpus?: number; memoryBytes?: number} {
  const cpus = Number(text(domain.vcpu))
  const memory = Number(text(domain.memory))
  const unit = attr(domain.memory, 'unit') ?? 'KiB'
  const scale = {b: 1, bytes: 1, KiB: 1024, k: 1024, MiB: 2 ** 20, M: 2 ** 20, GiB: 2 ** 30, G: 2 ** 30}[unit]
  return {
    ...(Number.isInteger(cpus) && cpus > 0 ? {cpus} : {}),
    ...(Number.isFinite(memory) && memory > 0 && scale ? {memoryBytes: memory * scale} : {}),
  }
}

function first(node: unknown, name: string): XmlNode | undefined {
  const value = child(node, name)
  return Array.isArray(value) ? (value[0] as XmlNode | undefined) : (value as XmlNode | undefined)
}
