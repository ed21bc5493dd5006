import {VmError} from '../errors.js'
import {projectHash, projectSlug} from '../machine/names.js'
import type {PrivateNetwork} from '../vmfile/types.js'
import {cidrsOverlap, formatCidr, formatIpv4, networkBase, parseCidr, parseIpv4, type Cidr} from './ipv4.js'

/**
 * A project's own isolated libvirt network for `private_network`: what it is called and which
 * addresses it gets. Pure; creating it is ensure-private-network.ts's job.
 */

/** The host end of every private network is .1: dnsmasq listens there. */
const GATEWAY_HOST = 1
/** Addresses dnsmasq hands out when a machine asks for DHCP; static addresses stay out of it. */
const DHCP_FIRST_HOST = 100
const DHCP_LAST_HOST = 199
const PREFIX = 24
/**
 * Generated subnets are 10.X.Y.0/24 with X in 1..254: 10.0.0.0/16 is left alone because it is
 * the one most home routers and QEMU's user-mode network (10.0.2.0/24, the first NIC of a
 * rootless machine) already use, and a guest with two routes to one subnet loses one of them.
 */
const GENERATED_SUBNETS = 254 * 256

/** The libvirt network of a project: `<folder slug>-private-<hash>`, beside its domains in `virsh net-list`. */
export function privateNetworkName(projectDir: string): string {
  return `${projectSlug(projectDir)}-private-${projectHash(projectDir)}`
}

/** The Linux bridge: interface names hold at most 15 characters, so no slug, only the hash (13). */
export function privateBridgeName(projectDir: string): string {
  return `vmbr-${projectHash(projectDir)}`
}

/**
 * The DNS domain dnsmasq answers for itself (localOnly): DHCP machines become NAME.<slug>.vm.internal.
 * `.internal` is the top-level domain ICANN reserved for private use, so it never leaks to a real one.
 */
export function privateDomainName(projectDir: string): string {
  return `${projectSlug(projectDir)}.vm.internal`
}

export type PrivateNetworkPlan = {
  readonly projectDir: string
  readonly name: string
  readonly bridge: string
  readonly domain: string
  /** The network, e.g. "10.23.7.0/24". */
  readonly subnet: string
  /** The host's address on the bridge (.1); dnsmasq answers DHCP and DNS there. */
  readonly gateway: string
  readonly netmask: string
  /** For a guest's static address: `${ip}/${prefixLength}`. */
  readonly prefixLength: number
  /** Only when some machine asks for DHCP: a network of static machines runs no DHCP server. */
  readonly dhcpRange?: {readonly start: string; readonly end: string}
}

export type PrivateNetworkMachine = {readonly name: string; readonly privateNetwork?: PrivateNetwork}

export type PlanOptions = {
  /**
   * The subnet the project's network already has. A DHCP-only project keeps it, so a subnet
   * that was skipped as taken when the network was made, and is free now, does not move the
   * network under running machines.
   */
  readonly currentSubnet?: string
}

/**
 * The project's private network, or undefined when no machine asks for one.
 *
 * Static addresses decide the subnet: their /24, which all of them must share. A project of
 * DHCP machines only gets a 10.X.Y.0/24 picked from its path's hash (stable across runs), the next
 * free one when that overlaps TAKEN_SUBNETS (CIDRs of the host's other libvirt networks).
 *
 * Static machines get no DHCP reservation: cloud-init configures their address, they never ask
 * dnsmasq, and keeping machines out of the network's XML means adding one never changes the
 * network under machines already running on it. Names resolve through the hosts block instead.
 */
export function planPrivateNetwork(
  projectDir: string,
  machines: readonly PrivateNetworkMachine[],
  takenSubnets: readonly string[],
  options: PlanOptions = {},
): PrivateNetworkPlan | undefined {
  const members = machines.filter((machine) => machine.privateNetwork !== undefined)
  if (members.length === 0) return undefined
  const statics = staticAddresses(members)
  const taken = takenSubnets.map((text) => parseCidr(text)).filter((cidr) => cidr !== undefined)
  const usesDhcp = members.some((machine) => machine.privateNetwork?.kind === 'dhcp')
  const subnet = statics.length > 0 ? staticSubnet(statics, taken) : generatedSubnet(projectDir, taken, options.currentSubnet)
  checkAddresses(statics, subnet, usesDhcp)
  return {
    projectDir,
    name: privateNetworkName(projectDir),
    bridge: privateBridgeName(projectDir),
    domain: privateDomainName(projectDir),
    subnet: formatCidr(subnet),
    gateway: formatIpv4(subnet.base + GATEWAY_HOST),
    netmask: '255.255.255.0',
    prefixLength: PREFIX,
    ...(usesDhcp ? {dhcpRange: {start: formatIpv4(subnet.base + DHCP_FIRST_HOST), end: formatIpv4(subnet.base + DHCP_LAST_HOST)}} : {}),
  }
}

type StaticAddress = {readonly machine: string; readonly ip: string; readonly value: number}

function staticAddresses(members: readonly PrivateNetworkMachine[]): StaticAddress[] {
  const addresses: StaticAddress[] = []
  const invalid: string[] = []
  for (const {name, privateNetwork} of members) {
    if (privateNetwork?.kind !== 'static') continue
    const value = parseIpv4(privateNetwork.ip)
    if (value === undefined) invalid.push(`  ${name}: "${privateNetwork.ip}"`)
    else addresses.push({machine: name, ip: privateNetwork.ip, value})
  }
  if (invalid.length > 0) {
    throw new PrivateNetworkError('A private_network ip is not an IPv4 address.', 'PRIVATE_NETWORK_INVALID_IP', invalid, 'Write it as four numbers 0-255, e.g. `ip: 192.168.56.10`.')
  }
  return addresses
}

/** The one /24 every static address lies in; it must not be another libvirt network's. */
function staticSubnet(statics: readonly StaticAddress[], taken: readonly Cidr[]): Cidr {
  const subnets = new Set(statics.map((address) => networkBase(address.value, PREFIX)))
  if (subnets.size > 1) {
    const lines = statics.map((address) => `  ${address.machine}: ${address.ip} (in ${formatCidr({base: networkBase(address.value, PREFIX), prefix: PREFIX})})`)
    throw new PrivateNetworkError(
      'The machines\' private_network addresses are not in one /24 subnet: a project has one private network.',
      'PRIVATE_NETWORK_SUBNETS_DIFFER',
      lines,
      'Give every machine an ip that differs only in the last number, e.g. 192.168.56.10, 192.168.56.11.',
    )
  }
  const subnet = {base: networkBase(statics[0]!.value, PREFIX), prefix: PREFIX}
  const clash = taken.find((cidr) => cidrsOverlap(cidr, subnet))
  if (clash) {
    throw new PrivateNetworkError(
      `The private_network subnet ${formatCidr(subnet)} overlaps ${formatCidr(clash)}, which another libvirt network uses.`,
      'PRIVATE_NETWORK_SUBNET_TAKEN',
      statics.map((address) => `  ${address.machine}: ${address.ip}`),
      'Pick addresses in a subnet no libvirt network uses (`virsh net-list --all`, `virsh net-dumpxml NAME`), or use `type: dhcp` and let vm pick one.',
    )
  }
  return subnet
}

/** The current subnet if it still fits, else the first free 10.X.Y.0/24 from the project's hash on. */
function generatedSubnet(projectDir: string, taken: readonly Cidr[], current: string | undefined): Cidr {
  const isFree = (cidr: Cidr) => !taken.some((other) => cidrsOverlap(other, cidr))
  const kept = current === undefined ? undefined : parseCidr(current)
  if (kept?.prefix === PREFIX && isFree(kept)) return kept
  const start = Number.parseInt(projectHash(projectDir), 16) % GENERATED_SUBNETS
  for (let step = 0; step < GENERATED_SUBNETS; step++) {
    const index = (start + step) % GENERATED_SUBNETS
    const candidate = {base: parseIpv4(`10.${1 + Math.floor(index / 256)}.${index % 256}.0`)!, prefix: PREFIX}
    if (isFree(candidate)) return candidate
  }
  throw new PrivateNetworkError(
    'No free 10.X.Y.0/24 subnet is left for the private network: other libvirt networks cover 10.1.0.0-10.254.255.255.',
    'PRIVATE_NETWORK_NO_FREE_SUBNET',
    [],
    'Give the machines static addresses (`private_network: {ip: ...}`) in a subnet that is free.',
  )
}

/** Reserved addresses, the DHCP range and duplicates: every conflict at once, each naming its machines. */
function checkAddresses(statics: readonly StaticAddress[], subnet: Cidr, usesDhcp: boolean): void {
  const problems: string[] = []
  const reserved: Record<number, string> = {
    0: 'the network address',
    [GATEWAY_HOST]: "the host's address on the private network",
    255: 'the broadcast address',
  }
  const range = `${formatIpv4(subnet.base + DHCP_FIRST_HOST)}-${formatIpv4(subnet.base + DHCP_LAST_HOST)}`
  const machinesByIp = new Map<number, string[]>()
  for (const address of statics) {
    const host = address.value - subnet.base
    if (reserved[host]) {
      problems.push(`  ${address.machine}: ${address.ip} is ${reserved[host]}`)
    } else if (usesDhcp && host >= DHCP_FIRST_HOST && host <= DHCP_LAST_HOST) {
      problems.push(`  ${address.machine}: ${address.ip} is inside the DHCP range ${range}, which machines with type: dhcp draw from`)
    }
    machinesByIp.set(address.value, [...(machinesByIp.get(address.value) ?? []), address.machine])
  }
  for (const [ip, names] of machinesByIp) {
    if (names.length > 1) problems.push(`  ${formatIpv4(ip)} is given to more than one machine: ${names.join(', ')}`)
  }
  if (problems.length > 0) {
    throw new PrivateNetworkError(
      'Some private_network addresses cannot be used.',
      'PRIVATE_NETWORK_ADDRESS_CONFLICT',
      problems,
      `Use host numbers 2-254, each once${usesDhcp ? `, outside .${DHCP_FIRST_HOST}-.${DHCP_LAST_HOST}` : ''}.`,
    )
  }
}

/** A Vmfile problem (exit status 2, like the Vmfile's other errors); detail lists the machines. */
export class PrivateNetworkError extends VmError {
  constructor(message: string, code: string, lines: readonly string[], hint: string) {
    super(message, {code, detail: lines.length > 0 ? lines.join('\n') : undefined, hint, exitCode: 2})
  }
}
