import {CommandFailedError, ExecaRunner, type CommandResult, type RunOptions, type Runner} from '../../../src/exec/runner.js'
import {projectPaths} from '../../../src/machine/paths.js'
import type {ProvisionContext} from '../../../src/provision/context.js'
import type {SshTarget} from '../../../src/ssh/ssh-args.js'
import type {Output} from '../../../src/ui/output.js'

export const TARGET: SshTarget = {
  host: '192.168.122.45',
  port: 22,
  user: 'vm',
  identityFile: '/home/ana/shop/.vm/id_ed25519',
  knownHostsFile: '/home/ana/shop/.vm/known_hosts',
  hostKeyAlias: 'shop-web-1a2b3c4d',
}

/** The ssh options every provisioner's ssh call carries before -T. */
export const SSH_OPTIONS = [
  '-o', 'User=vm',
  '-o', 'Port=22',
  '-o', 'IdentityFile=/home/ana/shop/.vm/id_ed25519',
  '-o', 'IdentitiesOnly=yes',
  '-o', 'UserKnownHostsFile=/home/ana/shop/.vm/known_hosts',
  '-o', 'GlobalKnownHostsFile=/dev/null',
  '-o', 'HostKeyAlias=shop-web-1a2b3c4d',
  '-o', 'StrictHostKeyChecking=yes',
  '-o', 'UpdateHostKeys=no',
  '-o', 'PasswordAuthentication=no',
  '-o', 'LogLevel=ERROR',
  '-o', 'ForwardAgent=no',
  '-o', 'ForwardX11=no',
  '-o', 'ClearAllForwardings=yes',
  '-o', 'BatchMode=yes',
  '-o', 'ConnectTimeout=15',
]

/** An Output that keeps its lines, info and warn apart and together. */
export type CapturedOutput = Output & {readonly lines: string[]}

export function captureOutput(): CapturedOutput {
  const lines: string[] = []
  return {lines, info: (line) => lines.push(`info: ${line}`), warn: (line) => lines.push(`warn: ${line}`)}
}

export type Call = {file: string; args: readonly string[]; options: RunOptions}

/** What a scripted command does: its lines (sent through onLine) and its exit status. */
export type Script = {stdout?: string[]; stderr?: string[]; exitCode?: number; throws?: Error}

/**
 * A Runner that answers from a list of scripts, in order, and fails on any call nobody scripted.
 * Non-zero statuses throw CommandFailedError, as the real runner does.
 */
export class FakeRunner implements Runner {
  readonly calls: Call[] = []

  constructor(private readonly scripts: Script[]) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.calls.push({file, args, options})
    const script = this.scripts.shift()
    if (!script) throw new Error(`unexpected command: ${file} ${args.join(' ')}`)
    if (script.throws) throw script.throws
    for (const line of script.stdout ?? []) options.onLine?.(line, 'stdout')
    for (const line of script.stderr ?? []) options.onLine?.(line, 'stderr')
    const result = {stdout: (script.stdout ?? []).join('\n'), stderr: (script.stderr ?? []).join('\n'), exitCode: script.exitCode ?? 0}
    if (result.exitCode !== 0) throw new CommandFailedError([file, ...args], result)
    return result
  }
}

/**
 * A Runner whose "ssh" runs the remote command in a local `sh -c` (dash on Debian: a strict
 * POSIX shell) in a test folder that is also HOME, through the real runner: same stdin, same line
 * streaming. Every other program runs for real. Proves what the guest would do, without a guest.
 */
export class LocalSshRunner implements Runner {
  readonly calls: Call[] = []
  private readonly inner = new ExecaRunner()

  constructor(
    private readonly home: string,
    private readonly path: string = process.env.PATH ?? '',
  ) {}

  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.calls.push({file, args, options})
    if (file !== 'ssh') return this.inner.run(file, args, options)
    const command = args.at(-1)!
    return this.inner.run('env', ['-C', this.home, `HOME=${this.home}`, `PATH=${this.path}`, `TMPDIR=${this.home}/.tmp`, 'sh', '-c', command], options)
  }
}

export function contextOf(runner: Runner, out: Output, projectDir = '/home/ana/shop'): ProvisionContext {
  return {runner, target: TARGET, machine: 'web', projectPaths: projectPaths(projectDir), out}
}

export {tempDir, tree} from '../fixture.js'

export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected the promise to reject')
}
