import {stringify} from 'yaml'

/** One NIC as the guest configures it; `id` names its entry, `mac` finds the interface. */
export type NicConfig =
  | {readonly id: string; readonly mac: string; readonly dhcp4: true}
  /** Fixed addresses in CIDR form (10.0.0.5/24). */
  | {readonly id: string; readonly mac: string; readonly addresses: readonly string[]}

/**
 * Renders a NoCloud network-config (version 2): one `ethernets` entry per NIC, matched by MAC
 * address. No `set-name`: cloud-init resolves the MAC to the kernel's own interface name (checked
 * with Debian's ifupdown renderer), and renaming interfaces is what breaks on the renderers that
 * do not support it. Static NICs get no gateway: the default route stays on the NIC that has one
 * from DHCP (the management network vm reaches the machine through).
 */
export function renderNetworkConfig(nics: readonly NicConfig[]): string {
  const ethernets: Record<string, unknown> = {}
  for (const nic of nics) {
    if (Object.hasOwn(ethernets, nic.id)) throw new Error(`Internal error: two NICs named ${JSON.stringify(nic.id)} in network-config.`)
    const match = {macaddress: nic.mac.toLowerCase()}
    ethernets[nic.id] = 'addresses' in nic ? {match, dhcp4: false, addresses: [...nic.addresses]} : {match, dhcp4: true}
  }
  // YAML 1.1, as cloud-init reads it: there a MAC of digits only (52:54:00:12:34:56) is a
  // sexagesimal number unless quoted, and the 1.1 stringifier quotes it.
  return stringify({version: 2, ethernets}, {version: '1.1', lineWidth: 0})
}
