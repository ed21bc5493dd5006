import {CommandFailedError, type Runner} from '../exec/runner.js'
import {VmError} from '../errors.js'
import {sshArgs, type SshTarget} from '../ssh/ssh-args.js'
import type {SyncedFolder} from '../vmfile/types.js'

export type RemoteRun = {
  readonly runner: Runner
  readonly target: SshTarget
  readonly folder: SyncedFolder
  readonly command: string
  /** The archive fed to the command's stdin, if any. */
  readonly inputFile?: string
  readonly signal?: AbortSignal
  /** What a failure left behind, for the message: "The guest folder was left as it was." */
  readonly afterFailure: string
}

/**
 * Runs COMMAND in the guest over the pinned-host-key ssh. A failure is reworded to name the
 * folder: the runner's own message would quote the whole (long) script back at the user.
 */
export async function runRemote(run: RemoteRun): Promise<void> {
  // A connect timeout: a machine that stopped answering fails the sync instead of hanging it.
  const args = sshArgs(run.target, {command: [run.command], batch: true, connectTimeoutSeconds: 20})
  try {
    await run.runner.run('ssh', args, {inputFile: run.inputFile, signal: run.signal})
  } catch (error) {
    if (!(error instanceof CommandFailedError)) throw error
    throw new VmError(`Could not sync ${run.folder.hostPath} to ${run.folder.guestPath} (exit status ${error.result.exitCode}). ${run.afterFailure}`, {
      code: 'FOLDER_SYNC_FAILED',
      detail: error.detail,
      hint: `The sync runs tar as root through \`sudo -n\`: check that \`vm ssh -- sudo -n tar --version\` works.`,
      cause: error,
    })
  }
}
