import {VmError} from '../errors.js'
import {CommandFailedError} from '../exec/runner.js'
import {parseHostfwdFailure} from '../ports/hostfwd-failure.js'
import {hostfwdFailedError} from '../ports/port-errors.js'
import {readConsoleTail} from '../machine/console-log.js'
import {inspectMachine, type MachineStatus} from '../machine/inspect.js'
import type {Project} from '../machine/project.js'
import {deadlineIn, waitForCloudInit, waitForIp, waitForSsh, type Deadline} from '../machine/readiness.js'
import {sshTarget} from '../machine/ssh-target.js'
import type {Services} from '../services.js'
import {formatSeconds, type Output} from '../ui/output.js'
import type {MachineConfig} from '../vmfile/types.js'
import type {Step} from './run-steps.js'

export type BootOptions = {
  /** How long to wait for the machine to be ready, in seconds. */
  readonly timeoutSeconds: number
  /** Told when cloud-init ends in error: the boot itself succeeded. */
  readonly onCloudInitFailure?: (error: VmError) => void
}

/**
 * Starts the machine and waits until it is ready: DHCP lease, SSH with the pinned host key,
 * cloud-init done. Prints each milestone with its time since STARTED; on a timeout, the serial
 * console's last lines.
 */
export function bootMachine(services: Services, project: Project, machine: MachineConfig, status: MachineStatus, out: Output, started: number, options: BootOptions): Step[] {
  const {virsh} = services
  const domain = status.domain
  const milestone = (text: string) => out.info(`${text} (${formatSeconds(Date.now() - started)})`)
  let deadline: Deadline | undefined
  let serialLogPath: string | undefined
  return [
    {
      title: `start ${domain}`,
      run: async () => {
        if (status.state === 'paused') await virsh.resumeDomain(domain)
        else await virsh.startDomain(domain).catch((error: unknown) => rethrowPortFailure(error, machine.name))
        deadline = deadlineIn(options.timeoutSeconds)
        milestone('booting')
      },
      undo: async () => {
        const state = await virsh.domainState(domain)
        if (state !== undefined && state !== 'shutoff') await virsh.destroyDomain(domain)
      },
    },
    {
      title: 'wait for the machine to be ready',
      run: async (signal) => {
        try {
          // Set by the start step; a machine found running (up's readiness check) starts the clock here.
          deadline ??= deadlineIn(options.timeoutSeconds)
          const facts = (await inspectMachine(virsh, project.dir, machine.name)).facts
          serialLogPath = facts?.serialLogPath
          if (!facts?.mac || !facts.network) throw new VmError(`libvirt domain ${domain} has no network interface vm can reach.`, {code: 'NO_NETWORK_INTERFACE'})
          const ip = await waitForIp(virsh, facts.network, facts.mac, deadline, signal)
          milestone(`IP ${ip}`)
          const target = sshTarget(project, domain, ip)
          await waitForSsh(services.runner, target, deadline, signal)
          milestone('SSH ready')
          const cloudInit = await waitForCloudInit(services.runner, target, deadline, signal)
          if (cloudInit.status !== 'done') {
            // The machine booted and answers: it is kept (no rollback), and the error is
            // reported once the steps are through.
            options.onCloudInitFailure?.(
              new VmError(`cloud-init finished with status "${cloudInit.status}" on ${machine.name}.`, {
                code: 'CLOUD_INIT_FAILED',
                detail: cloudInit.report,
                hint: `The machine is running and kept; look closer with \`vm ssh ${machine.name} -- sudo cat /var/log/cloud-init-output.log\`, or \`vm cloud-init ${machine.name}\` for what it was given.`,
              }),
            )
            return
          }
          milestone('cloud-init done')
        } catch (error) {
          if (error instanceof VmError && error.code === 'BOOT_TIMEOUT') await showConsole(services, domain, serialLogPath, out)
          throw error
        }
      },
    },
  ]
}

/** QEMU refuses to start when a forwarded port was taken after our check: name the port. */
function rethrowPortFailure(error: unknown, machine: string): never {
  const failure = error instanceof CommandFailedError ? parseHostfwdFailure(`${error.result.stderr}\n${error.result.stdout}`) : undefined
  throw failure ? hostfwdFailedError(failure, machine) : error
}

async function showConsole(services: Services, domain: string, path: string | undefined, out: Output): Promise<void> {
  const lines = path ? await readConsoleTail(path) : undefined
  if (!lines) {
    out.warn(`the serial console log${path ? ` (${path})` : ''} cannot be read from here; try \`virsh -c ${services.virsh.uri} console ${domain}\`.`)
    return
  }
  out.warn(`last lines of the serial console (${path}):`)
  for (const line of lines) out.warn(`  | ${line}`)
}
