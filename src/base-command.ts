import {Command, Flags} from '@oclif/core'

import {requireConsent} from './consent/gate.js'
import {diskFullError, InterruptedError, VmError, renderError} from './errors.js'
import {projectOf, type Project} from './machine/project.js'
import {withProjectLock} from './machine/project-lock.js'
import {resolveVmHome} from './home.js'
import {createServices, type Services} from './services.js'
import {askYesNo} from './ui/confirm.js'
import {CreationLedger, describeLeftovers} from './steps/ledger.js'
import type {ProvisionWhen} from './steps/after-boot.js'
import type {Output} from './ui/output.js'
import {findVmfile, loadVmfile, VmfileInvalidError, VmfileNotFoundError, type LoadResult} from './vmfile/load.js'
import type {Vmfile} from './vmfile/types.js'
import {formatProblems, hasErrors} from './vmfile/problem.js'

/** The flag of every command that changes machines: fail at once instead of waiting for the project's lock. */
export const lockFlags = {
  'no-wait': Flags.boolean({
    summary: "Fail at once, naming the holder, when another vm command is changing this project's machines (default: wait for it).",
  }),
}

/** --[no-]provision of the commands that bring machines up (up, reload). */
export const provisionFlags = {
  provision: Flags.boolean({
    summary: 'Run the provisioners even on machines provisioned before (--no-provision: not even on new ones).',
    description: "By default provisioners run on a machine's first `up` only, as in Vagrant.",
    allowNo: true,
  }),
}

/** --allow of the commands that use what a Vmfile reaches beyond its project (see consent/gate.ts). */
export const allowFlags = {
  allow: Flags.boolean({
    summary: 'Allow, for this command only, what the Vmfile reaches beyond its project (host paths outside it, ansible, ports beyond 127.0.0.1, bridges, other networks).',
    description: 'Without it, such a Vmfile needs `vm allow` first or a yes on the terminal; `vm validate` lists what it reaches.',
  }),
}

/** What --[no-]provision asks for. */
export function provisionWhen(flag: boolean | undefined): ProvisionWhen {
  return flag === undefined ? 'auto' : flag ? 'always' : 'never'
}

/**
 * What every vm command shares: --verbose, Ctrl-C handling, the Vmfile lookup, and the one place
 * where errors become messages and exit codes (0 ok, 1 failure, 2 usage or Vmfile, 130 interrupted).
 */
export abstract class VmCommand extends Command {
  static override baseFlags = {
    verbose: Flags.boolean({
      summary: 'Print every command vm runs (virsh, qemu-img, ssh) as a line you could run yourself.',
      helpGroup: 'GLOBAL',
    }),
  }

  protected readonly abort = new AbortController()
  /** What this command made and has not undone, for the second Ctrl-C's report. */
  protected readonly ledger = new CreationLedger()
  private interrupts = 0
  private readonly onSigint = () => this.interrupted()

  protected readonly out: Output = {
    info: (line) => this.log(line),
    warn: (line) => process.stderr.write(`${line}\n`),
  }

  public override async init(): Promise<void> {
    await super.init()
    process.on('SIGINT', this.onSigint)
  }

  protected services(verbose: boolean): Services {
    return createServices({out: this.out, signal: this.abort.signal, verbose, ledger: this.ledger})
  }

  /**
   * Stops (exit 2, before anything is made) unless the user allowed what PROJECT's Vmfile reaches
   * beyond the project: --allow (ALLOWFLAG), `vm allow`, or a yes on the terminal.
   */
  protected async requireConsent(project: Project, allowFlag: boolean | undefined): Promise<void> {
    const terminal = Boolean(process.stdin.isTTY && process.stderr.isTTY)
    await requireConsent(project, {
      dataDir: resolveVmHome().dataDir,
      allowFlag: allowFlag === true,
      out: this.out,
      ask: terminal ? (question) => askYesNo(question) : undefined,
    })
  }

  /** The project whose Vmfile is in the current folder or the nearest parent; all problems at once. */
  protected async loadProject(env: NodeJS.ProcessEnv = process.env): Promise<Project> {
    return projectOf((await this.loadCheckedVmfile(env)).vmfile)
  }

  /**
   * Finds and loads the Vmfile; throws VMFILE_INVALID listing every error (and, with strict, every
   * warning too); otherwise prints the warnings and returns it.
   */
  protected async loadCheckedVmfile(env: NodeJS.ProcessEnv = process.env, options: {strict?: boolean} = {}): Promise<LoadResult & {vmfile: Vmfile}> {
    const path = await findVmfile(process.cwd())
    if (!path) throw new VmfileNotFoundError(process.cwd())
    const loaded = await loadVmfile(path, env)
    const fails = hasErrors(loaded.problems) || (options.strict === true && loaded.problems.length > 0)
    if (!loaded.vmfile || fails) throw new VmfileInvalidError(loaded.problems, loaded.source, loaded.displayName)
    if (loaded.problems.length > 0) this.out.warn(formatProblems(loaded.problems, loaded.source, loaded.displayName))
    return {...loaded, vmfile: loaded.vmfile}
  }

  /**
   * Runs WORK holding the project's lock, so two commands never change one project's machines at
   * once. Waits for a holder to finish, or with NO_WAIT fails at once naming its PID and command.
   */
  protected async withProjectLock<T>(project: Project, noWait: boolean | undefined, work: () => Promise<T>): Promise<T> {
    return withProjectLock(
      project,
      {
        noWait: noWait === true,
        signal: this.abort.signal,
        onWait: (holder) => this.out.warn(`Waiting for another vm command in this project to finish: ${holder}.`),
      },
      work,
    )
  }

  /** First Ctrl-C: stop and undo what this run made. Second: leave at once. */
  private interrupted(): void {
    this.interrupts += 1
    if (this.interrupts === 1) {
      process.stderr.write('\nInterrupted: cleaning up what this command made (Ctrl-C again to exit now).\n')
      this.abort.abort(new InterruptedError())
      return
    }
    process.stderr.write(['Exiting at once, without undoing.', ...describeLeftovers(this.ledger.remaining()), ''].join('\n'))
    process.exit(130)
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (this.abort.signal.aborted && !(error instanceof VmError)) error = new InterruptedError()
    const errno = error as NodeJS.ErrnoException
    if (!(error instanceof VmError) && errno.code === 'ENOSPC') error = diskFullError(errno.path ?? 'a file', error)
    if (error instanceof VmError) {
      process.stderr.write(`${renderError(error)}\n`)
      if (this.flagsVerbose() && error.cause instanceof Error && error.cause.stack) process.stderr.write(`${error.cause.stack}\n`)
      return this.exit(error.exitCode)
    }
    return super.catch(error)
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    process.off('SIGINT', this.onSigint)
    return super.finally(error)
  }

  private flagsVerbose(): boolean {
    return this.argv.includes('--verbose')
  }
}
