/**
 * The Vmfile's port syntax, `[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]`, to and from PortForward.
 * Pure. The parser is strict on purpose: what it accepts ends up inside a QEMU `-netdev` option
 * (see qemu-args.ts), where a stray comma or a leading zero would change the meaning.
 */
import type {PortForward} from '../vmfile/types.js'
import {describeValue, suggestion} from '../vmfile/complaint.js'

export const PORT_SYNTAX = '[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]'
export const DEFAULT_HOST_IP = '127.0.0.1'
/** Binding this host address means every IPv4 address of the host. */
export const ANY_HOST_IP = '0.0.0.0'
export const PROTOCOLS = ['tcp', 'udp'] as const

export type PortSpecResult = {readonly forward: PortForward} | {readonly error: string}

/**
 * Parses one entry of a machine's `ports:` list. Takes any YAML value because the likeliest
 * mistake, `- 8080`, reaches us as a number and deserves its own advice.
 */
export function parsePortSpec(value: unknown): PortSpecResult {
  const fail = (specific?: string): PortSpecResult => ({
    error: `expected "${PORT_SYNTAX}" such as "127.0.0.1:8080:80", found ${describeValue(value)}${specific ? `; ${specific}` : ''}`,
  })
  if (typeof value === 'number') {
    return fail(isPort(value) ? samePortAdvice(String(value)) : undefined)
  }
  if (typeof value !== 'string') return fail()

  const slash = value.lastIndexOf('/')
  const address = slash === -1 ? value : value.slice(0, slash)
  const protocolText = slash === -1 ? 'tcp' : value.slice(slash + 1)
  const protocol = PROTOCOLS.find((p) => p === protocolText)
  if (protocol === undefined) {
    return fail(`the protocol must be tcp or udp, not ${JSON.stringify(protocolText)}${suggestion(protocolText, PROTOCOLS)}`)
  }

  const parts = address.split(':')
  if (address.startsWith('[') || parts.length > 3) {
    // IPv6 addresses hold colons themselves; QEMU 7.2's slirp hostfwd only binds IPv4.
    const host = parts.slice(0, -2).join(':')
    if (address.startsWith('[') || (!isIpv4(parts[0]!) && /^[0-9a-f.:]+$/i.test(host))) {
      return fail(`IPv6 host addresses are not supported; use an IPv4 address such as ${DEFAULT_HOST_IP} or ${ANY_HOST_IP}`)
    }
    return fail(`it has ${parts.length} parts separated by ":", at most 3`)
  }
  if (parts.length === 1) return fail(isPortText(address) ? samePortAdvice(address) : undefined)
  const [hostIp, hostPortText, guestPortText] = parts.length === 3 ? parts : [DEFAULT_HOST_IP, ...parts]

  if (!isIpv4(hostIp!)) return fail(hostIpProblem(hostIp!))
  const hostPort = parsePort(hostPortText!)
  if (typeof hostPort === 'string') return fail(`the host port ${hostPort}`)
  const guestPort = parsePort(guestPortText!)
  if (typeof guestPort === 'string') return fail(`the guest port ${guestPort}`)
  return {forward: {hostIp: hostIp!, hostPort, guestPort, protocol}}
}

/** "127.0.0.1:8080 → 80/tcp": how a forward reads in listings and messages. */
export function formatPortForward(forward: PortForward): string {
  return `${forward.hostIp}:${forward.hostPort} → ${forward.guestPort}/${forward.protocol}`
}

/** Four decimal octets 0-255 without leading zeros (some parsers read "010" as octal 8). */
export function isIpv4(text: string): boolean {
  const octets = text.split('.')
  return octets.length === 4 && octets.every((octet) => /^(0|[1-9][0-9]{0,2})$/.test(octet) && Number(octet) <= 255)
}

/** A port number as the parser accepts it: 1-65535, digits only, no leading zero. */
export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535
}

function samePortAdvice(port: string): string {
  return `a forward names both ends: write "${port}:${port}" to forward host port ${port} to guest port ${port}`
}

function isPortText(text: string): boolean {
  return typeof parsePort(text) === 'number'
}

/** The port, or what is wrong with it (completing "the host port …"). */
function parsePort(text: string): number | string {
  if (text === '') return 'is missing'
  if (!/^[0-9]+$/.test(text)) return `must be a whole number, not ${JSON.stringify(text)}`
  if (text.length > 1 && text.startsWith('0')) return `must be written without leading zeros: ${Number(text)}`
  const port = Number(text)
  return isPort(port) ? port : `${port} is out of range 1-65535`
}

function hostIpProblem(hostIp: string): string {
  if (hostIp === '') return `the host address is missing; leave it out for ${DEFAULT_HOST_IP}`
  if (hostIp.toLowerCase() === 'localhost') return `write ${DEFAULT_HOST_IP} instead of "localhost"`
  if (hostIp === '*') return `write ${ANY_HOST_IP} to listen on every address`
  return `the host address ${JSON.stringify(hostIp)} is not an IPv4 address such as ${DEFAULT_HOST_IP} or ${ANY_HOST_IP}`
}

/** A forward used in findDuplicateHostPorts, with whatever the caller needs to name it. */
export type Located = {readonly forward: PortForward}

export type HostPortClash<T extends Located> = {
  /** The later entry, which is the one to complain about. */
  readonly item: T
  /** The first earlier entry that binds the same host socket. */
  readonly clashesWith: T
}

/**
 * Forwards (of one machine or across a project's machines) that would bind the same host
 * socket: same protocol and port, and the same address or 0.0.0.0 on either side (it covers
 * every address). QEMU would refuse the second one at start, so the Vmfile check reports it
 * first. Pure; entries are compared in the order given.
 */
export function findDuplicateHostPorts<T extends Located>(items: readonly T[]): HostPortClash<T>[] {
  const clashes: HostPortClash<T>[] = []
  items.forEach((item, index) => {
    const earlier = items.slice(0, index).find((other) => sameHostSocket(other.forward, item.forward))
    if (earlier !== undefined) clashes.push({item, clashesWith: earlier})
  })
  return clashes
}

function sameHostSocket(a: PortForward, b: PortForward): boolean {
  if (a.protocol !== b.protocol || a.hostPort !== b.hostPort) return false
  return a.hostIp === b.hostIp || a.hostIp === ANY_HOST_IP || b.hostIp === ANY_HOST_IP
}
