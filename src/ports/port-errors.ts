/**
 * The errors a user sees when a forwarded port cannot be bound: every port named, each with
 * the command that finds or fixes its cause. Pure.
 */
import {VmError} from '../errors.js'
import type {PortForward} from '../vmfile/types.js'
import type {HostfwdFailure} from './hostfwd-failure.js'
import type {PortProbe} from './busy-ports.js'
import {formatPortForward} from './port-spec.js'

const VMFILE_FIX = 'change the host port under `ports:` in the Vmfile'

/**
 * One VmError for everything findBusyPorts found, or undefined when every port looks free.
 * The code follows the first kind of problem present, in the order busy (PORT_IN_USE),
 * privileged (PORT_PRIVILEGED), unavailable (PORT_ADDRESS_UNAVAILABLE); the detail lists all.
 */
export function portProbeError(probe: PortProbe, machine?: string): VmError | undefined {
  const {busy, privileged, unavailable, unprivilegedPortStart} = probe
  const count = busy.length + privileged.length + unavailable.length
  if (count === 0) return undefined
  const of = machine === undefined ? '' : ` of machine ${machine}`

  const detail = [
    ...busy.map((f) => `${formatPortForward(f)}: in use; see what holds it: ${holderCommand(f)}`),
    ...privileged.map((f) => `${formatPortForward(f)}: port ${f.hostPort} is below ${unprivilegedPortStart} (net.ipv4.ip_unprivileged_port_start)`),
    ...unavailable.map((f) => `${formatPortForward(f)}: ${f.hostIp} is not an address of this host`),
  ]
    .map((line) => `  ${line}`)
    .join('\n')

  const hints: string[] = []
  if (busy.length > 0) hints.push(`Stop the program holding ${plural(busy.length, 'the port', 'each port')} or ${VMFILE_FIX}.`)
  if (privileged.length > 0) {
    const lowest = privileged.reduce((a, b) => (b.hostPort < a.hostPort ? b : a))
    const example = `${8000 + lowest.hostPort}:${lowest.guestPort}`
    hints.push(
      `Pick a host port of ${unprivilegedPortStart} or more (e.g. "${example}"), or let unprivileged programs bind from ${lowest.hostPort} up: sudo sysctl net.ipv4.ip_unprivileged_port_start=${lowest.hostPort}`,
    )
  }
  if (unavailable.length > 0) hints.push('Use 127.0.0.1, 0.0.0.0 or an address that `ip -4 addr` lists.')

  const kinds = [
    {code: 'PORT_IN_USE', forwards: busy, reason: plural(busy.length, 'is', 'are') + ' already in use on this host'},
    {
      code: 'PORT_PRIVILEGED',
      forwards: privileged,
      reason: `${plural(privileged.length, 'is a privileged port', 'are privileged ports')}, which QEMU (unprivileged under libvirt) cannot bind`,
    },
    {code: 'PORT_ADDRESS_UNAVAILABLE', forwards: unavailable, reason: `${plural(unavailable.length, 'names an address', 'name addresses')} this host does not have`},
  ].filter((kind) => kind.forwards.length > 0)
  const ports = kinds.flatMap((kind) => kind.forwards.map(hostSide)).join(', ')
  const message =
    kinds.length === 1
      ? `Forwarded ${plural(count, 'port', 'ports')} ${ports}${of} ${kinds[0]!.reason}.`
      : `${count} forwarded ports${of} cannot be bound on this host: ${ports}.`
  return new VmError(message, {code: kinds[0]!.code, detail, hint: hints.join(' ')})
}

/**
 * QEMU refused a forward at start (parseHostfwdFailure) although findBusyPorts had found it
 * free: another program took it in between. Callers probe the failed forward again first and
 * prefer portProbeError when that finds the cause; this is for when it no longer does.
 */
export function hostfwdFailedError(failure: HostfwdFailure, machine?: string): VmError {
  const of = machine === undefined ? '' : ` of machine ${machine}`
  const side = `${failure.hostIp}:${failure.hostPort}/${failure.protocol}`
  return new VmError(`QEMU could not bind forwarded port ${side}${of}; another program probably took it while the machine was starting.`, {
    code: 'PORT_IN_USE',
    hint: `See what holds it: ${holderCommand(failure)}; stop that program or ${VMFILE_FIX}, then run \`vm up\` again.`,
  })
}

/** `ss` lists the listener; its -p column needs root to name another user's process. */
function holderCommand(forward: Pick<PortForward, 'hostPort' | 'protocol'>): string {
  return `ss -l${forward.protocol === 'udp' ? 'u' : 't'}np 'sport = :${forward.hostPort}'`
}

function hostSide(forward: PortForward): string {
  return `${forward.hostIp}:${forward.hostPort}/${forward.protocol}`
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many
}
