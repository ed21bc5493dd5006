/**
 * IPv4 addresses as unsigned 32-bit numbers, and CIDR blocks. Pure. Only IPv4: private networks
 * and the guests vm reaches are addressed by IPv4.
 */

export type Cidr = {readonly base: number; readonly prefix: number}

/**
 * A dotted quad, strictly: four decimal octets 0-255 without leading zeros (some parsers read
 * "010" as octal 8; we refuse to guess). Undefined for anything else.
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined
    const octet = Number(part)
    if (octet > 255) return undefined
    value = value * 256 + octet
  }
  return value
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')
}

/** "A.B.C.D/P" with the address reduced to its network (libvirt gives the gateway, not the base). */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text.trim())
  if (!match) return undefined
  const address = parseIpv4(match[1]!)
  const prefix = Number(match[2])
  if (address === undefined || prefix > 32) return undefined
  return {base: networkBase(address, prefix), prefix}
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`
}

/** The prefix length of a netmask such as 255.255.255.0; undefined when its ones are not contiguous. */
export function netmaskPrefix(netmask: string): number | undefined {
  const value = parseIpv4(netmask)
  if (value === undefined) return undefined
  for (let prefix = 0; prefix <= 32; prefix++) if (prefixMask(prefix) === value) return prefix
  return undefined
}

export function networkBase(address: number, prefix: number): number {
  const size = 2 ** (32 - prefix)
  return Math.floor(address / size) * size
}

/** Two blocks overlap exactly when the shorter prefix's block contains the other's base. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix)
  return networkBase(a.base, prefix) === networkBase(b.base, prefix)
}

function prefixMask(prefix: number): number {
  return 2 ** 32 - 2 ** (32 - prefix)
}
