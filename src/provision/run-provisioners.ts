import {InterruptedError} from '../errors.js'
import {ToolNotInstalledError, type Runner} from '../exec/runner.js'
import type {ProjectPaths} from '../machine/paths.js'
import type {SshTarget} from '../ssh/ssh-args.js'
import {formatSeconds, type Output} from '../ui/output.js'
import type {Provisioner} from '../vmfile/types.js'
import {runAnsibleProvisioner} from './ansible.js'
import type {ProvisionContext} from './context.js'
import {ProvisionerError, ProvisionFailedError} from './errors.js'
import {runFileProvisioner} from './file.js'
import {runShellProvisioner} from './shell.js'

export type RunProvisionersOptions = {
  readonly runner: Runner
  readonly target: SshTarget
  /** The machine's name, for messages. */
  readonly machine: string
  readonly provisioners: readonly Provisioner[]
  readonly projectPaths: ProjectPaths
  /** Usually already prefixed with the machine's name (machineOutput). */
  readonly out: Output
  readonly signal?: AbortSignal
}

/** ssh's own exit status when it cannot connect, indistinguishable from a script's `exit 255`. */
const SSH_FAILED = 255

/**
 * Runs the provisioners in order on a running machine. The first failure stops the list and
 * throws ProvisionFailedError (or a ProvisionerError that already says more); nothing here
 * touches the machine itself, so a failure leaves it as it is for the user to inspect.
 */
export async function runProvisioners(options: RunProvisionersOptions): Promise<void> {
  const {out, machine} = options
  const ctx: ProvisionContext = options
  for (const provisioner of options.provisioners) {
    options.signal?.throwIfAborted()
    out.info(`provisioning with ${provisioner.label}`)
    const started = Date.now()
    let status: number
    try {
      status = await runOne(ctx, provisioner)
    } catch (error) {
      // An interrupt stays an interrupt (exit 130), whatever it broke on the way.
      if (error instanceof InterruptedError || options.signal?.aborted || error instanceof ProvisionerError) throw error
      throw new ProvisionFailedError(machine, provisioner.label, undefined, {
        cause: error,
        hint: error instanceof ToolNotInstalledError ? error.hint : undefined,
      })
    }
    if (status !== 0) {
      const viaSsh = provisioner.kind !== 'ansible'
      throw new ProvisionFailedError(machine, provisioner.label, status, {
        detail: viaSsh && status === SSH_FAILED ? '  (255 is also the status ssh exits with when it cannot reach the machine.)' : undefined,
      })
    }
    out.info(`${provisioner.label} done (${formatSeconds(Date.now() - started)})`)
  }
}

function runOne(ctx: ProvisionContext, provisioner: Provisioner): Promise<number> {
  switch (provisioner.kind) {
    case 'shell':
      return runShellProvisioner(ctx, provisioner)
    case 'file':
      return runFileProvisioner(ctx, provisioner)
    case 'ansible':
      return runAnsibleProvisioner(ctx, provisioner)
  }
}
