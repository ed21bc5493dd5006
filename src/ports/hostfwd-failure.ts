/**
 * Recognises QEMU's complaint about a forward it could not bind, inside the error libvirt
 * reports when a domain fails to start. findBusyPorts checks before the start, but another
 * program can take the port in between; this lets that lost race get the same friendly error.
 * Pure.
 */
import type {PortForward} from '../vmfile/types.js'

export type HostfwdFailure = Pick<PortForward, 'hostIp' | 'hostPort' | 'protocol'>

/**
 * QEMU 7.2 (net/slirp.c) says `Could not set up host forwarding rule '%s'` with the rule text
 * as given after `hostfwd=`, e.g. `tcp:127.0.0.1:8080-:80`; older releases wrote "could" in
 * lower case. Only the quoted rule is read: libvirt's message also repeats the whole -netdev
 * argument, which names every rule, the ones that bound fine included.
 */
const FAILED_RULE = /could not set up host forwarding rule '(tcp|udp)?:([^:']*):([0-9]+)-[^']*'/i

/** The forward QEMU could not bind, or undefined when the text is about something else. */
export function parseHostfwdFailure(libvirtErrorText: string): HostfwdFailure | undefined {
  const match = FAILED_RULE.exec(libvirtErrorText)
  if (!match) return undefined
  const [, protocol, hostIp, hostPort] = match
  // In QEMU's rule syntax a missing protocol means tcp and an empty address means every one.
  return {hostIp: hostIp || '0.0.0.0', hostPort: Number(hostPort), protocol: protocol?.toLowerCase() === 'udp' ? 'udp' : 'tcp'}
}
