import {CommandFailedError, type Runner} from '../exec/runner.js'
import {VmError} from '../errors.js'
import type {Virsh} from '../libvirt/virsh.js'
import {probeTcp} from '../ssh/probe.js'
import {sshArgs, type SshTarget} from '../ssh/ssh-args.js'
import {sleep} from '../util/sleep.js'

/** How often to look for the DHCP lease: a virsh call costs ~15 ms of host CPU. */
const LEASE_POLL_MS = 250
/** TCP probes cost no process; ssh attempts are spaced further so they do not steal guest CPU. */
const PORT_POLL_MS = 250
const SSH_RETRY_MS = 1000

export class BootTimeoutError extends VmError {
  constructor(what: string, seconds: number, detail?: string) {
    super(`Timed out after ${seconds} s waiting for ${what}.`, {
      code: 'BOOT_TIMEOUT',
      detail,
      hint: 'Under software emulation (tcg) boots are slow: try `vm up --timeout 1200`. The console lines above show where the guest stopped.',
    })
  }
}

export type Deadline = {readonly at: number; readonly seconds: number}

export function deadlineIn(seconds: number, now = Date.now()): Deadline {
  return {at: now + seconds * 1000, seconds}
}

function remainingMs(deadline: Deadline): number {
  return deadline.at - Date.now()
}

/** The machine's IPv4 address from libvirt's DHCP lease for its MAC. */
export async function waitForIp(virsh: Virsh, network: string, mac: string, deadline: Deadline, signal: AbortSignal): Promise<string> {
  for (;;) {
    const asked = Date.now()
    const leases = await virsh.dhcpLeases(network, mac)
    const lease = leases.at(-1)
    if (lease) return lease.ip
    if (remainingMs(deadline) <= 0) throw new BootTimeoutError(`a DHCP lease for ${mac} on network ${network}`, deadline.seconds)
    // A fixed cadence: the time virsh itself took counts towards the interval.
    await sleep(Math.max(0, LEASE_POLL_MS - (Date.now() - asked)), signal)
  }
}

/** sshd answers and accepts our key while presenting the pinned host key. */
export async function waitForSsh(runner: Runner, target: SshTarget, deadline: Deadline, signal: AbortSignal): Promise<void> {
  let lastProblem = 'nothing answered on port 22'
  for (;;) {
    signal.throwIfAborted()
    const probed = Date.now()
    // Half a second is plenty on a bridge: a listening sshd answers in well under that, even in
    // a guest under software emulation.
    if (await probeTcp(target.host, target.port, 500)) {
      try {
        await runner.run('ssh', sshArgs(target, {command: ['true'], batch: true, connectTimeoutSeconds: 5}), {signal, timeoutMs: 20_000})
        return
      } catch (error) {
        if (!(error instanceof CommandFailedError)) throw error
        lastProblem = error.result.stderr.trim() || `ssh exited with status ${error.result.exitCode}`
      }
      if (remainingMs(deadline) <= 0) break
      await sleep(SSH_RETRY_MS, signal)
    } else {
      if (remainingMs(deadline) <= 0) break
      await sleep(Math.max(0, PORT_POLL_MS - (Date.now() - probed)), signal)
    }
  }
  throw new BootTimeoutError(`SSH on ${target.host}`, deadline.seconds, `Last problem: ${lastProblem}`)
}

/** The outcome of `cloud-init status --wait`: done, or error/degraded with its long report. */
export type CloudInitOutcome = {readonly status: string; readonly report?: string}

export async function waitForCloudInit(runner: Runner, target: SshTarget, deadline: Deadline, signal: AbortSignal): Promise<CloudInitOutcome> {
  const run = (command: string[], timeoutMs: number) =>
    runner.run('ssh', sshArgs(target, {command, batch: true, connectTimeoutSeconds: 10}), {signal, timeoutMs, okExitCodes: [0, 1, 2]})
  const waitMs = Math.max(remainingMs(deadline), 1000)
  let result
  try {
    result = await run(['cloud-init', 'status', '--wait'], waitMs)
  } catch (error) {
    if (error instanceof VmError && error.code === 'COMMAND_TIMED_OUT') throw new BootTimeoutError('cloud-init to finish', deadline.seconds)
    throw error
  }
  const status = parseCloudInitStatus(result.stdout)
  if (status === 'done') return {status}
  const report = await run(['cloud-init', 'status', '--long'], 30_000).then((r) => r.stdout.trim(), () => undefined)
  return {status, report}
}

/** The status word from `cloud-init status [--wait]` output ("....\nstatus: done"). Pure. */
export function parseCloudInitStatus(stdout: string): string {
  return /^status:\s*(\S+)/m.exec(stdout)?.[1] ?? 'unknown'
}
