/**
 * Checks, before a machine starts, that QEMU will be able to bind each forwarded port, so that
 * `vm up` can name the port and its fix instead of passing on QEMU's terse failure. Each port
 * is bound for a moment and released at once; QEMU binds it for real when it starts.
 *
 * Do not probe the forwards of a machine that is running: its own QEMU holds them.
 */
import {createSocket} from 'node:dgram'
import {readFile} from 'node:fs/promises'
import {createServer} from 'node:net'

import type {PortForward} from '../vmfile/types.js'

export type PortProbe = {
  /** Something else on this host already listens there. */
  readonly busy: PortForward[]
  /** Below unprivilegedPortStart: QEMU will not be allowed to bind it. */
  readonly privileged: PortForward[]
  /** The host address is not one of this host's own (EADDRNOTAVAIL). */
  readonly unavailable: PortForward[]
  /** The threshold the privileged list was judged by. */
  readonly unprivilegedPortStart: number
}

export type ProbeOptions = {
  /** Ports below this need privilege; read from /proc when not given (tests pass their own). */
  readonly unprivilegedPortStart?: number
}

/**
 * Sorts `forwards` into busy, privileged and unavailable; a forward in none of them looks
 * bindable. Ports are probed one after another, never two at once, so that the probe of one
 * forward cannot make a neighbouring one look busy.
 *
 * Why "privileged" is judged by the sysctl and not by the bind: vm may run as root, which may
 * bind any port, while QEMU under libvirt never can below the threshold: qemu:///system starts
 * it as an unprivileged user (libvirt-qemu on Debian), qemu:///session as the calling user,
 * and even a QEMU configured to run as root loses CAP_NET_BIND_SERVICE to libvirt's default
 * clear_emulator_capabilities=1. qemu.conf is readable by root only, so vm does not try to
 * detect the rare host configured otherwise; such a host can lower the sysctl instead.
 */
export async function findBusyPorts(forwards: readonly PortForward[], options: ProbeOptions = {}): Promise<PortProbe> {
  const unprivilegedPortStart = options.unprivilegedPortStart ?? (await readUnprivilegedPortStart())
  const probe: PortProbe = {busy: [], privileged: [], unavailable: [], unprivilegedPortStart}
  for (const forward of forwards) {
    const code = await tryBind(forward)
    if (code === 'EADDRINUSE') probe.busy.push(forward)
    else if (code === 'EADDRNOTAVAIL') probe.unavailable.push(forward)
    else if (forward.hostPort < unprivilegedPortStart) probe.privileged.push(forward)
    // Any other failure is left for QEMU to meet: parseHostfwdFailure explains it then.
  }
  return probe
}

export const UNPRIVILEGED_PORT_START_PATH = '/proc/sys/net/ipv4/ip_unprivileged_port_start'

/** Linux's threshold for binding without privilege; 1024 (the historic rule) when unreadable. */
export async function readUnprivilegedPortStart(path = UNPRIVILEGED_PORT_START_PATH): Promise<number> {
  try {
    const value = Number((await readFile(path, 'utf8')).trim())
    return Number.isInteger(value) && value >= 0 ? value : 1024
  } catch {
    return 1024
  }
}

/** Binds the forward's host socket and releases it; the error code, or undefined when it bound. */
export function tryBind(forward: PortForward): Promise<string | undefined> {
  return forward.protocol === 'udp' ? tryBindUdp(forward.hostIp, forward.hostPort) : tryBindTcp(forward.hostIp, forward.hostPort)
}

/** Node's default SO_REUSEADDR matches QEMU's slirp listener, so "busy" means busy to QEMU too. */
function tryBindTcp(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'UNKNOWN'))
    server.listen({host, port, exclusive: true}, () => server.close(() => resolve(undefined)))
  })
}

function tryBindUdp(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({type: 'udp4', reuseAddr: false})
    socket.once('error', (error: NodeJS.ErrnoException) => {
      try {
        socket.close()
      } catch {
        // A socket whose bind failed may already count as closed.
      }
      resolve(error.code ?? 'UNKNOWN')
    })
    socket.bind({address: host, port, exclusive: true}, () => socket.close(() => resolve(undefined)))
  })
}
