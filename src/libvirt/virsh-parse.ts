/**
 * Parsers for virsh's text output (read with LC_ALL=C, libvirt 9.0). Pure; tested against
 * output captured from real virsh under test/unit/libvirt/fixtures.
 */

/** A domain state as virsh prints it, in snake_case: "shut off" → "shutoff", "in shutdown" → "in_shutdown". */
export function parseDomainState(stdout: string): string {
  const state = stdout.trim().toLowerCase()
  if (state === 'shut off') return 'shutoff'
  return state.replaceAll(/\s+/g, '_')
}

/** `virsh domstate --reason`: "paused (I/O error)" → state paused, reason "I/O error". */
export function parseDomainStateReason(stdout: string): {state: string; reason?: string} {
  const match = /^(.*?)\s*\(([^()]*)\)\s*$/.exec(stdout.trim())
  if (!match) return {state: parseDomainState(stdout)}
  return {state: parseDomainState(match[1]!), reason: match[2]!}
}

/**
 * Why QEMU cannot save a domain's memory (managed save, a memory snapshot: both are a migration
 * into a file): libvirt's "cannot migrate domain: REASON". LIVE_FOLDER when the blocker is a
 * shared folder's device (virtiofs's vhost-user-fs, a mounted 9p export). Undefined otherwise.
 */
export function parseMigrationBlocker(stderr: string): {readonly blocker: string; readonly liveFolder: boolean} | undefined {
  const blocker = /cannot migrate domain: (.+)/i.exec(stderr)?.[1]?.trim()
  if (blocker !== undefined) return {blocker, liveFolder: /vhost-user-fs|virtio-9p|VirtFS/i.test(blocker)}
  // QEMU's own words for a mounted 9p export, when libvirt passes them on unwrapped.
  return /VirtFS/i.test(stderr) ? {blocker: stderr.trim(), liveFolder: true} : undefined
}

/** "Key:   value" lines, as printed by net-info, pool-info, vol-info, dominfo. */
export function parseKeyValues(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const match = /^([^:]+):\s*(.*)$/.exec(line.trim())
    if (match) out[match[1]!.trim()] = match[2]!.trim()
  }
  return out
}

export type DhcpLease = {readonly mac: string; readonly ip: string; readonly prefix: number; readonly hostname: string}

/** Rows of `virsh net-dhcp-leases NETWORK [--mac MAC]`; IPv4 only (we address guests by IPv4). */
export function parseDhcpLeases(stdout: string): DhcpLease[] {
  const leases: DhcpLease[] = []
  for (const line of stdout.split('\n')) {
    // 2026-11-27 21:40:11   52:54:00:12:34:56   ipv4   192.168.122.45/24   alpha   01:52:54:...
    const match = /^\s*\S+ \S+\s+([0-9a-f:]{17})\s+ipv4\s+([\d.]+)\/(\d+)\s+(\S+)/i.exec(line)
    if (match) leases.push({mac: match[1]!.toLowerCase(), ip: match[2]!, prefix: Number(match[3]), hostname: match[4]!})
  }
  return leases
}

/** One name per line (`virsh list --all --name`, `vol-list --name`...), blanks dropped. */
export function parseNameList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/**
 * `virsh vol-list --pool P`: a " Name   Path" header, a dashed rule, then one volume per line.
 * Our volume names never contain spaces, so the first column is the whole name.
 */
export function parseVolumeList(stdout: string): string[] {
  const lines = stdout.split('\n').map((line) => line.trim())
  const rule = lines.findIndex((line) => /^-+$/.test(line))
  return lines
    .slice(rule + 1)
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/)[0]!)
}

export type VirshFailure = 'not-found' | 'connect-refused' | 'no-socket' | 'permission-denied' | 'no-space' | 'other'

/** Classifies virsh's stderr so callers can tell "does not exist" from "cannot reach libvirt". */
export function classifyVirshError(stderr: string): VirshFailure {
  if (/No space left on device/i.test(stderr)) return 'no-space'
  if (/Permission denied|authentication (failed|unavailable)|access denied|Unable to get system bus connection/i.test(stderr)) return 'permission-denied'
  if (/Failed to connect socket .*No such file or directory/i.test(stderr)) return 'no-socket'
  if (/Failed to connect socket|Connection refused|failed to connect to the hypervisor/i.test(stderr)) return 'connect-refused'
  // A call in flight when libvirtd stops (virsh 9.0's words, seen with SIGTERM to libvirtd).
  if (/Disconnected from \S+ due to end of file|client socket is closed|End of file while reading data|Cannot recv data/i.test(stderr)) return 'connect-refused'
  if (/failed to get (domain|network|pool|vol)|not found|no (domain|network|storage pool|storage vol)\w* with matching/i.test(stderr)) {
    return 'not-found'
  }
  return 'other'
}
