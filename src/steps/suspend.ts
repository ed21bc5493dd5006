import {VmError} from '../errors.js'
import {CommandFailedError} from '../exec/runner.js'
import {inspectSuspended, managedSave, restoreDomain, resumeDomain} from '../libvirt/managed-save.js'
import {parseMigrationBlocker} from '../libvirt/virsh-parse.js'
import {inspectMachine, type MachineStatus} from '../machine/inspect.js'
import type {Project} from '../machine/project.js'
import {parseHostfwdFailure} from '../ports/hostfwd-failure.js'
import {hostfwdFailedError} from '../ports/port-errors.js'
import type {Services} from '../services.js'
import {formatSeconds, machineOutput} from '../ui/output.js'
import {sleep} from '../util/sleep.js'
import type {MachineConfig} from '../vmfile/types.js'
import {settleAll} from './settle.js'

const STATE_POLL_MS = 250
/** A restored domain is running when `virsh start` returns; this only covers a slow libvirt. */
const RUNNING_TIMEOUT_MS = 60_000

/**
 * `vm suspend`: libvirt's managed save, machines in parallel. Memory goes to disk and QEMU
 * exits, so a suspended machine costs no RAM or CPU and survives a host reboot; `vm resume` (or
 * `vm up`) continues it where it stopped.
 */
export async function suspendMachines(services: Services, project: Project, machines: readonly MachineConfig[]): Promise<void> {
  await settleAll(machines, (machine) => suspendOne(services, project, machine), 'suspend')
}

async function suspendOne(services: Services, project: Project, machine: MachineConfig): Promise<void> {
  const {virsh} = services
  const out = machineOutput(services.out, machine.name)
  const status = await inspectMachine(virsh, project.dir, machine.name)
  if (status.state === 'not_created') {
    out.info('not created; nothing to suspend.')
    return
  }
  if (status.state === 'shutoff') {
    out.info((await inspectSuspended(virsh, status)) ? 'already suspended.' : 'halted; nothing to suspend.')
    return
  }
  if (status.state !== 'running' && status.state !== 'paused') throw unexpectedState(machine.name, status.state, 'suspend')
  const started = Date.now()
  try {
    await managedSave(virsh, status.domain)
  } catch (error) {
    throw (error instanceof CommandFailedError ? saveRefusalError(machine.name, error.result.stderr, error) : undefined) ?? error
  }
  out.info(`suspended (${formatSeconds(Date.now() - started)})`)
}

/**
 * The error for libvirt refusing to save a machine's memory, or undefined when STDERR is some
 * other failure. A managed save is a migration to a file, so QEMU's migration blockers apply:
 * virtiofsd's state (vhost-user-fs) cannot be saved, nor a mounted 9p export. Pure.
 */
export function saveRefusalError(machine: string, stderr: string, cause?: unknown): VmError | undefined {
  const halt = `Halt it instead with \`vm halt ${machine}\`; \`vm up ${machine}\` boots it again.`
  const blocked = parseMigrationBlocker(stderr)
  if (!blocked) return undefined
  if (blocked.liveFolder) {
    return new VmError(`${machine} cannot be suspended: it has a live folder (virtiofs or 9p), whose state QEMU cannot save with the memory.`, {
      code: 'SUSPEND_UNSUPPORTED',
      hint: `${halt} Folders of type rsync do not prevent suspend.`,
      cause,
    })
  }
  return new VmError(`${machine} cannot be suspended: libvirt cannot save its memory (${blocked.blocker}).`, {code: 'SUSPEND_UNSUPPORTED', hint: halt, cause})
}

/**
 * `vm resume`: continues suspended machines (restoring their saved memory) and paused ones, in
 * parallel. Resume is not boot: a machine shut off without saved memory is an error that names
 * `vm up`.
 */
export async function resumeMachines(services: Services, project: Project, machines: readonly MachineConfig[]): Promise<void> {
  await settleAll(machines, (machine) => resumeOne(services, project, machine), 'resume')
}

async function resumeOne(services: Services, project: Project, machine: MachineConfig): Promise<void> {
  const {virsh} = services
  const out = machineOutput(services.out, machine.name)
  const status = await inspectMachine(virsh, project.dir, machine.name)
  if (status.state === 'running') {
    out.info('already running.')
    return
  }
  const started = Date.now()
  if (status.state === 'paused') {
    await resumeDomain(virsh, status.domain)
  } else if (status.state === 'shutoff' && (await inspectSuspended(virsh, status))) {
    await restore(services, machine.name, status)
  } else {
    throw notSuspendedError(machine.name, status.state)
  }
  await waitUntilRunning(services, status.domain)
  out.info(`resumed (${formatSeconds(Date.now() - started)})`)
}

async function restore(services: Services, machine: string, status: MachineStatus): Promise<void> {
  const {virsh} = services
  try {
    await restoreDomain(virsh, status.domain)
  } catch (error) {
    if (!(error instanceof CommandFailedError)) throw error
    const text = `${error.result.stderr}\n${error.result.stdout}`
    // QEMU binds forwarded ports again on restore; another program may hold one by now.
    const port = parseHostfwdFailure(text)
    if (port) throw hostfwdFailedError(port, machine)
    throw new VmError(`libvirt could not restore ${machine} from its saved memory.`, {
      code: 'RESUME_FAILED',
      detail: error.detail,
      hint: `To give up the saved memory and boot afresh: \`virsh -c ${virsh.uri} managedsave-remove ${status.domain}\`, then \`vm up ${machine}\`.`,
      cause: error,
    })
  }
}

/**
 * Waits for the domain to run. An image saved paused (by plain `virsh managedsave`, without
 * --running) is restored paused, so a paused domain is resumed once.
 */
async function waitUntilRunning(services: Services, domain: string): Promise<void> {
  const {virsh} = services
  const deadline = Date.now() + RUNNING_TIMEOUT_MS
  let resumed = false
  for (;;) {
    const state = await virsh.domainState(domain)
    if (state === 'running') return
    if (state === 'paused' && !resumed) {
      await resumeDomain(virsh, domain)
      resumed = true
      continue
    }
    if (Date.now() >= deadline) {
      throw new VmError(`libvirt domain ${domain} is ${state ?? 'gone'}, not running, ${RUNNING_TIMEOUT_MS / 1000} s after resuming.`, {
        code: 'RESUME_TIMEOUT',
        hint: `Look at it with \`virsh -c ${virsh.uri} domstate --reason ${domain}\`.`,
      })
    }
    await sleep(STATE_POLL_MS, services.signal)
  }
}

function notSuspendedError(machine: string, state: string): VmError {
  if (state === 'not_created') return new VmError(`${machine} is not created.`, {code: 'MACHINE_NOT_CREATED', hint: `Run \`vm up ${machine}\`.`})
  if (state === 'shutoff') {
    return new VmError(`${machine} is halted, not suspended: there is no saved memory to resume.`, {
      code: 'MACHINE_NOT_SUSPENDED',
      hint: `Boot it with \`vm up ${machine}\`.`,
    })
  }
  return unexpectedState(machine, state, 'resume')
}

function unexpectedState(machine: string, state: string, verb: string): VmError {
  return new VmError(`${machine} is ${state.replaceAll('_', ' ')}; vm can ${verb} it only when it is ${verb === 'suspend' ? 'running or paused' : 'suspended or paused'}.`, {
    code: 'MACHINE_STATE_UNEXPECTED',
    hint: `Wait for it to settle (\`vm status\`), or power it off with \`vm halt --force ${machine}\`.`,
  })
}
