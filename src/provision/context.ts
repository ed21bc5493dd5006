import {CommandFailedError, type CommandResult, type Runner} from '../exec/runner.js'
import type {ProjectPaths} from '../machine/paths.js'
import type {SshTarget} from '../ssh/ssh-args.js'
import type {Output} from '../ui/output.js'

/** What every provisioner needs: how to start processes, reach the machine, and report. */
export type ProvisionContext = {
  readonly runner: Runner
  /** The machine over SSH, its host key pinned. */
  readonly target: SshTarget
  /** The machine's name: in messages, and the host name in the ansible inventory. */
  readonly machine: string
  readonly projectPaths: ProjectPaths
  /** Where the provisioner's own output goes, line by line, as it arrives. */
  readonly out: Output
  readonly signal?: AbortSignal
}

/** Routes a child's lines to OUT: stdout as info, stderr as warn, unchanged (the caller's Output adds any prefix). */
export function linesTo(out: Output): (line: string, stream: 'stdout' | 'stderr') => void {
  return (line, stream) => (stream === 'stdout' ? out.info(line) : out.warn(line))
}

/**
 * Runs a command whose exit status is the provisioner's verdict: a non-zero status is returned,
 * not thrown, so the caller can name the provisioner; anything else (interrupt, timeout, a tool
 * not installed) still throws.
 */
export async function exitStatusOf(run: () => Promise<CommandResult>): Promise<number> {
  try {
    return (await run()).exitCode
  } catch (error) {
    if (error instanceof CommandFailedError) return error.result.exitCode
    throw error
  }
}
