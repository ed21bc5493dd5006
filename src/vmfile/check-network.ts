/** `network`, `bridge` and `private_network`: where a machine's NICs plug in. */
import {isIPv4} from 'node:net'

import type {PrivateNetwork} from './types.js'
import {accept, complain, describeValue, reject, unknownKeys, type Checked} from './complaint.js'
import {PRIVATE_NETWORK_KEYS} from './schema.js'

/** libvirt accepts almost any name; these are the ones that also work unquoted in virsh. */
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
/** Linux interface names: at most 15 bytes, no "/" or white space. */
const BRIDGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/

export function checkNetwork(value: unknown): Checked<string> {
  if (typeof value === 'string' && NETWORK_NAME.test(value)) return accept(value)
  return reject(`expected the name of an existing libvirt network such as default (see \`virsh net-list --all\`), found ${describeValue(value)}`)
}

export function checkBridge(value: unknown): Checked<string> {
  if (typeof value === 'string' && BRIDGE_NAME.test(value)) return accept(value)
  return reject(`expected the name of a host bridge such as br0 (at most 15 characters; see \`ip link show type bridge\`), found ${describeValue(value)}`)
}

export function checkPrivateNetwork(value: unknown): Checked<PrivateNetwork> {
  const expected = 'expected dhcp or a map with an IPv4 address such as {ip: 10.10.0.11}'
  if (value === 'dhcp') return accept({kind: 'dhcp'})
  if (!(value instanceof Map)) return reject(`${expected}, found ${describeValue(value)}`)
  const complaints = unknownKeys(value, PRIVATE_NETWORK_KEYS, [])
  const ip = value.get('ip')
  if (ip === 'dhcp') return {value: {kind: 'dhcp'}, complaints}
  if (typeof ip !== 'string' || !isIPv4(ip)) {
    complaints.push(complain(`${expected}, found ${describeValue(ip)}`, value.has('ip') ? ['ip'] : []))
    return {complaints}
  }
  if (!isPrivate(ip)) complaints.push(complain(`expected a private address (10/8, 172.16/12 or 192.168/16), found ${describeValue(ip)}`, ['ip']))
  return complaints.some((c) => c.severity === 'error') ? {complaints} : {value: {kind: 'static', ip}, complaints}
}

function isPrivate(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number]
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
}
