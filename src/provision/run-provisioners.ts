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

/** The part of consent/grant.ts's Grant that provisioners need. */
export type HostReach = {
  hostPath(path: string, use: string): Promise<string>
  requireAnsible(playbook: string): void
}

export type RunProvisionersOptions = {
  readonly runner: Runner
  readonly target: SshTarget
  /** The machine's name, for messages. */
  readonly machine: string
  readonly provisioners: readonly Provisioner[]
  readonly projectPaths: ProjectPaths
  /** What the user allowed beyond the project: each provisioner's host path is checked against it just before it runs. */
  readonly grant: HostReach
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
    // Resolved now, not when the Vmfile was read: an earlier provisioner (or the guest, through a
    // live folder) may have put a symlink where a path of the project was.
    const resolved = await withRealPaths(options.grant, provisioner)
    out.info(`provisioning with ${provisioner.label}`)
    const started = Date.now()
    let status: number
    try {
      status = await runOne(ctx, resolved)
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

/** PROVISIONER with its host path resolved, symlinks and all, to where it really is; refused unless allowed. */
async function withRealPaths(grant: HostReach, provisioner: Provisioner): Promise<Provisioner> {
  switch (provisioner.kind) {
    case 'shell':
      return provisioner.path === undefined ? provisioner : {...provisioner, path: await grant.hostPath(provisioner.path, 'shell provisioner script')}
    case 'file':
      return {...provisioner, source: await grant.hostPath(provisioner.source, 'file provisioner source')}
    case 'ansible':
      grant.requireAnsible(provisioner.playbook)
      return {...provisioner, playbook: await grant.hostPath(provisioner.playbook, 'ansible playbook')}
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
