import {constants} from 'node:fs'
import {access} from 'node:fs/promises'

import {VmError} from '../errors.js'
import {shellQuote} from '../exec/shell-quote.js'
import {inspectSuspended} from '../libvirt/managed-save.js'
import {inspectMachine, type MachineStatus} from '../machine/inspect.js'
import type {Project} from '../machine/project.js'
import type {Services} from '../services.js'
import type {MachineConfig} from '../vmfile/types.js'

export type ConsoleOptions = {
  /** Take the console over from another session (virsh console --force). */
  readonly force: boolean
  /** Whether stdin is a terminal: virsh console refuses to run without one. */
  readonly terminal: boolean
}

/** `virsh -c URI console DOMAIN [--force]`. Pure. */
/**
 * `vm console`: hands the terminal to `virsh console` on the machine's serial port until the
 * user leaves with Ctrl-]. Returns virsh's exit status.
 */
export async function openConsole(services: Services, project: Project, machine: MachineConfig, options: ConsoleOptions): Promise<number> {
  const {virsh} = services
  const status = await inspectMachine(virsh, project.dir, machine.name)
  if (status.state !== 'running') throw await notRunningError(services, machine.name, status)
  if (!options.terminal) throw await noTerminalError(machine.name, status)
  services.out.warn(`Connected to the serial console of ${machine.name}; press Ctrl-] to leave.`)
  const exitCode = await virsh.attachConsole(status.domain, options.force)
  if (exitCode !== 0 && !options.force) {
    // virsh's own message went to the terminal; the likeliest cause is a session elsewhere.
    services.out.warn(`Hint: if another session holds the console, \`vm console ${machine.name} --force\` takes it over.`)
  }
  return exitCode
}

async function notRunningError(services: Services, machine: string, status: MachineStatus): Promise<VmError> {
  const {state} = status
  const suspended = await inspectSuspended(services.virsh, status)
  const described = suspended ? 'suspended' : state === 'shutoff' ? 'halted' : state.replaceAll('_', ' ')
  const next = suspended || state === 'paused' ? `vm resume ${machine}` : `vm up ${machine}`
  return new VmError(`${machine} is ${described}; its console works only while it runs.`, {code: 'MACHINE_NOT_RUNNING', hint: `Run \`${next}\`.`})
}

/**
 * virsh needs a terminal to put in raw mode. Without one, the serial log has the same text
 * (since the machine last started: libvirt empties it on every start).
 */
async function noTerminalError(machine: string, status: MachineStatus): Promise<VmError> {
  const log = status.facts?.serialLogPath
  let hint = `Run \`vm console ${machine}\` from a terminal.`
  if (log !== undefined) {
    // libvirt writes the log as root, mode 0600: most users need sudo to read it.
    const readable = await access(log, constants.R_OK).then(() => true, () => false)
    hint += ` To read what the machine printed without one: \`${shellQuote([...(readable ? [] : ['sudo']), 'tail', '-f', log])}\`.`
  }
  return new VmError('vm console needs a terminal: stdin is not one.', {code: 'CONSOLE_NEEDS_TERMINAL', exitCode: 2, hint})
}
