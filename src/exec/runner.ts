import {execa} from 'execa'

import {InterruptedError, VmError} from '../errors.js'
import {shellQuote} from './shell-quote.js'

export type RunOptions = {
  /** Written to the child's stdin. */
  input?: string
  /** A file streamed to the child's stdin (large payloads: tarballs, scripts). */
  inputFile?: string
  /**
   * Called with each line of output as it arrives (live provisioner output); the output is
   * still captured in the result.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** The child is terminated (then killed) after this long. */
  timeoutMs?: number
  signal?: AbortSignal
  /** Exit statuses that are not failures; by default only 0. */
  okExitCodes?: readonly number[]
  /** 'inherit' hands the terminal to the child (interactive ssh); nothing is captured then. */
  stdio?: 'pipe' | 'inherit'
  /**
   * The child's working folder; CHILD_CWD unless a caller needs another. Never the project:
   * interpreters and tools read code and config from their cwd (python's sys.path[0], ansible.cfg),
   * and the project is a stranger's repository.
   */
  cwd?: string
}

/** Where every child runs unless told otherwise: outside any project, readable by everyone. */
export const CHILD_CWD = '/'

export type CommandResult = {stdout: string; stderr: string; exitCode: number}

/**
 * The only way vm starts a process: argv arrays, never a shell. Tests substitute a fake that
 * fails on any call nobody scripted.
 */
export interface Runner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>
}

/** Which Debian package provides each tool we run, for the "not installed" hint. */
const PACKAGE_OF: Record<string, string> = {
  virsh: 'libvirt-clients',
  'qemu-img': 'qemu-utils',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
}

export class CommandFailedError extends VmError {
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult,
  ) {
    super(`Command failed with exit status ${result.exitCode}: ${shellQuote(argv)}`, {
      code: 'COMMAND_FAILED',
      detail: indent((result.stderr || result.stdout).trim()) || undefined,
      hint: 'Run again with --verbose to see every command vm runs.',
    })
  }
}

export class CommandTimedOutError extends VmError {
  constructor(argv: readonly string[], timeoutMs: number) {
    super(`Command did not finish within ${Math.round(timeoutMs / 1000)} s: ${shellQuote(argv)}`, {
      code: 'COMMAND_TIMED_OUT',
    })
  }
}

export class ToolNotInstalledError extends VmError {
  constructor(file: string) {
    const pkg = PACKAGE_OF[file]
    super(`${file} is not installed (or not on PATH).`, {
      code: 'TOOL_NOT_INSTALLED',
      hint: pkg ? `sudo apt-get install ${pkg}` : `Install ${file}.`,
    })
  }
}

export type ExecaRunnerOptions = {
  /** Called with each command as a shell-quoted line before it starts (--verbose). */
  onCommand?: (line: string) => void
}

export class ExecaRunner implements Runner {
  constructor(private readonly options: ExecaRunnerOptions = {}) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const argv = [file, ...args]
    this.options.onCommand?.(shellQuote(argv))
    const inherit = options.stdio === 'inherit'
    const onLine = options.onLine
    const hasInput = options.input !== undefined || options.inputFile !== undefined
    const child = execa(file, args, {
      reject: false,
      // LC_ALL=C keeps the output we parse in the language our parsers read; a terminal handed
      // to the user (interactive ssh) keeps the user's locale, which ssh passes to the guest.
      env: inherit ? {} : {LC_ALL: 'C'},
      cwd: options.cwd ?? CHILD_CWD,
      ...(options.inputFile === undefined ? {input: options.input} : {inputFile: options.inputFile}),
      stdin: inherit ? 'inherit' : hasInput ? 'pipe' : 'ignore',
      stdout: inherit ? 'inherit' : 'pipe',
      stderr: inherit ? 'inherit' : 'pipe',
      timeout: options.timeoutMs,
      forceKillAfterDelay: 2000,
      cancelSignal: options.signal,
    })
    if (onLine && !inherit) {
      for (const stream of ['stdout', 'stderr'] as const) {
        let partial = ''
        child[stream]?.on('data', (chunk: Buffer) => {
          const lines = (partial + chunk.toString('utf8')).split('\n')
          partial = lines.pop() ?? ''
          for (const line of lines) onLine(line, stream)
        })
        child[stream]?.on('end', () => partial !== '' && onLine(partial, stream))
      }
    }
    const result = await child
    if (result.isCanceled) throw new InterruptedError()
    if (result.timedOut) throw new CommandTimedOutError(argv, options.timeoutMs ?? 0)
    if ((result as {code?: string}).code === 'ENOENT') throw new ToolNotInstalledError(file)
    const outcome = {
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      exitCode: result.exitCode ?? (result.signal ? 128 : 1),
    }
    const ok = options.okExitCodes ?? [0]
    if (!inherit && !ok.includes(outcome.exitCode)) throw new CommandFailedError(argv, outcome)
    return outcome
  }
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ')
}
