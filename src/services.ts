import {ExecaRunner, type Runner} from './exec/runner.js'
import {resolveVmHome, type VmHome} from './home.js'
import {resolveLibvirtSettings, type LibvirtSettings} from './libvirt/settings.js'
import {Virsh} from './libvirt/virsh.js'
import {CreationLedger} from './steps/ledger.js'
import type {Output} from './ui/output.js'

/** Everything with an outside effect that a command needs, wired in one place. */
export type Services = {
  readonly runner: Runner
  readonly virsh: Virsh
  readonly libvirt: LibvirtSettings
  readonly home: VmHome
  readonly env: NodeJS.ProcessEnv
  readonly out: Output
  /** Aborted on the first Ctrl-C. */
  readonly signal: AbortSignal
  /** Whether stdout is a terminal (progress bars, prompts). */
  readonly interactive: boolean
  /** What this process made and has not undone (read by a second Ctrl-C). */
  readonly ledger: CreationLedger
}

export type ServiceOptions = {
  out: Output
  signal: AbortSignal
  /** Prints each process vm starts as a line a person could run (--verbose). */
  verbose: boolean
  env?: NodeJS.ProcessEnv
  runner?: Runner
  ledger?: CreationLedger
}

export function createServices(options: ServiceOptions): Services {
  const env = options.env ?? process.env
  const runner = options.runner ?? new ExecaRunner({onCommand: options.verbose ? (line) => options.out.warn(`$ ${line}`) : undefined})
  const libvirt = resolveLibvirtSettings(env)
  return {
    runner,
    virsh: new Virsh(runner, libvirt.uri),
    libvirt,
    home: resolveVmHome(env),
    env,
    out: options.out,
    signal: options.signal,
    interactive: Boolean(process.stdout.isTTY),
    ledger: options.ledger ?? new CreationLedger(),
  }
}
