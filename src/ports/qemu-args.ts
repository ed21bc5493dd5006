/**
 * The second NIC that carries a machine's forwarded ports: QEMU user-mode networking (slirp),
 * isolated with restrict=on, whose hostfwd rules bind the host side. libvirt 9.0 has neither
 * passt nor <portForward> (DESIGN.md §1), so the NIC goes into the domain XML as raw QEMU
 * arguments under <qemu:commandline>; this module builds those arguments and reads them back.
 * Pure.
 */
import type {PortForward} from '../vmfile/types.js'
import {parseXml, type XmlNode} from '../libvirt/xml.js'
import {PROTOCOLS, isIpv4, isPort} from './port-spec.js'

/** libvirt's namespace for <qemu:commandline>; its prefix may differ, its URI does not. */
export const QEMU_NAMESPACE = 'http://libvirt.org/schemas/domain/qemu/1.0'

/** The QEMU id of the forwarding netdev; it also marks the NIC as ours when reading it back. */
export const FORWARD_NETDEV_ID = 'vmfwd'
/** slirp's own default network, spelled out so that the guest's static config cannot drift. */
export const FORWARD_NET = '10.0.2.0/24'
/** The guest end: slirp's default hostfwd target (the 15th address), set statically by cloud-init. */
export const FORWARD_GUEST_IP = '10.0.2.15'
export const FORWARD_PREFIX_LENGTH = 24
/**
 * A fixed slot on the q35 root bus, far above the slots libvirt hands out in order from 0x01,
 * so that libvirt's own devices never collide with a device it does not know about.
 */
export const FORWARD_PCI_BUS = 'pcie.0'
export const FORWARD_PCI_ADDR = '0x10'

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

/**
 * The `-netdev` and `-device` pairs for `forwards`, to put under <qemu:commandline> in this
 * order; [] when there is nothing to forward (then the machine has no second NIC at all).
 *
 * The option string is QEMU's comma-separated syntax, where a value holding a comma would
 * smuggle in another option (say, a second hostfwd or smb=/). Parsed forwards only hold
 * IPv4 addresses and port numbers, but this builder re-checks each value rather than trust
 * every caller to have parsed.
 */
export function forwardNetdevArgs(forwards: readonly PortForward[], mac: string): string[] {
  if (forwards.length === 0) return []
  if (!MAC.test(mac)) throw new Error(`forwardNetdevArgs: not a MAC address: ${JSON.stringify(mac)}`)
  const rules = forwards.map((forward) => `hostfwd=${hostfwdRule(forward)}`)
  return [
    '-netdev',
    [`user`, `id=${FORWARD_NETDEV_ID}`, 'restrict=on', `net=${FORWARD_NET}`, ...rules].join(','),
    '-device',
    `virtio-net-pci,netdev=${FORWARD_NETDEV_ID},mac=${mac.toLowerCase()},bus=${FORWARD_PCI_BUS},addr=${FORWARD_PCI_ADDR}`,
  ]
}

/**
 * QEMU's rule text, `tcp:127.0.0.1:8080-:80`. The empty guest address means slirp's first DHCP
 * address, FORWARD_GUEST_IP. QEMU also quotes this text back when the rule fails to bind
 * (see hostfwd-failure.ts).
 */
export function hostfwdRule(forward: PortForward): string {
  const {protocol, hostIp, hostPort, guestPort} = forward
  if (!PROTOCOLS.includes(protocol) || !isIpv4(hostIp) || !isPort(hostPort) || !isPort(guestPort)) {
    throw new Error(`hostfwdRule: refusing an unchecked forward ${JSON.stringify(forward)}`)
  }
  return `${protocol}:${hostIp}:${hostPort}-:${guestPort}`
}

/**
 * The forwards of our netdev in `virsh dumpxml` output, in rule order; [] when the domain has
 * none. This is what `vm port` lists: libvirt holds what QEMU was (or will be) started with.
 * Rules we would not have written are skipped rather than guessed at.
 */
export function parseForwardsFromDomainXml(xml: string): PortForward[] {
  const domain = parseXml(xml).domain
  if (!isNode(domain)) return []
  const args = qemuArgs(domain)
  const forwards: PortForward[] = []
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] !== '-netdev') continue
    const options = args[i + 1]!.split(',')
    if (options[0] !== 'user' || !options.includes(`id=${FORWARD_NETDEV_ID}`)) continue
    for (const option of options) {
      const forward = option.startsWith('hostfwd=') ? parseHostfwdRule(option.slice('hostfwd='.length)) : undefined
      if (forward) forwards.push(forward)
    }
  }
  return forwards
}

/** The MAC of the forwarding NIC in `virsh dumpxml` output; undefined when the domain has none. */
export function parseForwardMacFromDomainXml(xml: string): string | undefined {
  const domain = parseXml(xml).domain
  if (!isNode(domain)) return undefined
  for (const arg of qemuArgs(domain)) {
    const options = arg.split(',')
    if (options[0] === 'virtio-net-pci' && options.includes(`netdev=${FORWARD_NETDEV_ID}`)) {
      return options.find((o) => o.startsWith('mac='))?.slice('mac='.length)
    }
  }
  return undefined
}

/** Reads back exactly the rules hostfwdRule writes (an explicit guest address is tolerated). */
function parseHostfwdRule(rule: string): PortForward | undefined {
  const match = /^(tcp|udp):([0-9.]+):([0-9]+)-(?:[0-9.]+)?:([0-9]+)$/.exec(rule)
  if (!match) return undefined
  const [, protocol, hostIp, hostPortText, guestPortText] = match
  const hostPort = Number(hostPortText)
  const guestPort = Number(guestPortText)
  if (!isIpv4(hostIp!) || !isPort(hostPort) || !isPort(guestPort)) return undefined
  return {hostIp: hostIp!, hostPort, guestPort, protocol: protocol as PortForward['protocol']}
}

/**
 * The values of every <arg> under <commandline> in QEMU's namespace. libvirt declares the
 * namespace on <domain> and writes the prefix "qemu", but the XML we define may use any prefix
 * (or declare it on <commandline> itself), so match the URI, as domain-facts.ts does for our
 * metadata.
 */
function qemuArgs(domain: XmlNode): string[] {
  const values: string[] = []
  for (const [key, value] of Object.entries(domain)) {
    const prefix = key.includes(':') ? key.slice(0, key.indexOf(':')) : ''
    if (key !== (prefix ? `${prefix}:commandline` : 'commandline')) continue
    const declaration = prefix ? `@_xmlns:${prefix}` : '@_xmlns'
    for (const commandline of list(value)) {
      const ns = commandline[declaration] ?? domain[declaration]
      if (ns !== QEMU_NAMESPACE) continue
      for (const arg of list(commandline[prefix ? `${prefix}:arg` : 'arg'])) {
        if (typeof arg['@_value'] === 'string') values.push(arg['@_value'])
      }
    }
  }
  return values
}

function list(value: unknown): XmlNode[] {
  return (Array.isArray(value) ? value : [value]).filter(isNode)
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
