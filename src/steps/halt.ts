import {inspectSuspended} from '../libvirt/managed-save.js'
import {inspectMachine} from '../machine/inspect.js'
import type {Project} from '../machine/project.js'
import type {Services} from '../services.js'
import {formatSeconds, machineOutput} from '../ui/output.js'
import {sleep} from '../util/sleep.js'
import type {MachineConfig} from '../vmfile/types.js'
import {settleAll} from './settle.js'

export type HaltOptions = {
  /** Power off at once instead of asking the guest to shut down. */
  readonly force: boolean
  /** How long the guest gets to shut down after the ACPI request before it is powered off. */
  readonly timeoutSeconds: number
}

const STATE_POLL_MS = 250

/** `vm halt`: ACPI shutdown, then power off after the timeout (or at once with force). Parallel. */
export async function haltMachines(services: Services, project: Project, machines: readonly MachineConfig[], options: HaltOptions): Promise<void> {
  await settleAll(machines, (machine) => haltOne(services, project, machine, options), 'halt')
}

async function haltOne(services: Services, project: Project, machine: MachineConfig, options: HaltOptions): Promise<void> {
  const {virsh} = services
  const out = machineOutput(services.out, machine.name)
  const {state, domain} = await inspectMachine(virsh, project.dir, machine.name)
  if (state === 'not_created' || state === 'shutoff') {
    const suspended = await inspectSuspended(virsh, {state, domain})
    out.info(suspended ? 'suspended; `vm resume` or `vm up` continues it.' : state === 'shutoff' ? 'already halted.' : 'not created; nothing to halt.')
    return
  }
  const started = Date.now()
  if (!options.force && state === 'running') {
    await virsh.shutdownDomain(domain)
    out.info('asked the guest to shut down (ACPI)')
    const deadline = started + options.timeoutSeconds * 1000
    while (Date.now() < deadline) {
      if ((await virsh.domainState(domain)) === 'shutoff') {
        out.info(`halted (${formatSeconds(Date.now() - started)})`)
        return
      }
      await sleep(STATE_POLL_MS, services.signal)
    }
    out.warn(`did not shut down within ${options.timeoutSeconds} s; powering off.`)
  }
  // The guest may have finished shutting down in the meantime.
  if ((await virsh.domainState(domain)) !== 'shutoff') await virsh.destroyDomain(domain)
  out.info(`powered off (${formatSeconds(Date.now() - started)})`)
}
