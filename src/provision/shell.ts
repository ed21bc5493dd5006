import {open} from 'node:fs/promises'

import {VmError} from '../errors.js'
import {shellQuote} from '../exec/shell-quote.js'
import {sshArgs, type SshTarget} from '../ssh/ssh-args.js'
import type {Provisioner} from '../vmfile/types.js'
import {exitStatusOf, linesTo, type ProvisionContext} from './context.js'
import {ProvisionerError} from './errors.js'

export type ShellProvisioner = Extract<Provisioner, {kind: 'shell'}>

/** How the uploaded script runs in the guest. */
export type ShellRun = {
  /** As root through sudo, or as the login user. */
  readonly privileged: boolean
  readonly env: Readonly<Record<string, string>>
  readonly args: readonly string[]
  /** Whether the script starts with "#!": the kernel then runs it through that interpreter, else bash does. */
  readonly shebang: boolean
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * The one remote command line (read by the login user's shell) that receives the script on stdin
 * and runs it, so the upload and the run share one SSH connection. Every user value is quoted.
 *
 * - mktemp gives a private file (0600) with a name nobody can predict or pre-create.
 * - The script's stdin is /dev/null, never the connection that carried the script: a script
 *   that reads stdin (apt asking a question) sees end-of-file at once.
 * - `sudo -n` fails at once where a password would be needed; with no terminal it would only
 *   fail later with a vaguer message. `-H` gives root's HOME, as Vagrant does.
 * - The file is removed on every path and the script's status becomes ssh's exit status.
 */
export function renderShellCommand(run: ShellRun): string {
  const assignments = Object.entries(run.env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) {
      throw new VmError(`Invalid environment variable name for a shell provisioner: ${JSON.stringify(name)}.`, {
        code: 'PROVISION_ENV_NAME',
        exitCode: 2,
        hint: 'Names are letters, digits and "_", not starting with a digit.',
      })
    }
    return quote(`${name}=${value}`)
  })
  const command = [
    ...(run.privileged ? ['sudo', '-n', '-H'] : []),
    ...(assignments.length > 0 ? ['env', ...assignments] : []),
    // Without a shebang the kernel refuses to execute the file; bash runs it, as Vagrant does.
    ...(run.shebang ? [] : ['bash']),
    '"$f"',
    ...run.args.map(quote),
  ].join(' ')
  return [
    'f=$(mktemp) || exit 1',
    `cat >"$f" && chmod 0700 "$f" || { rm -f "$f"; exit 1; }`,
    `${command} </dev/null`,
    's=$?',
    'rm -f "$f"',
    'exit $s',
  ].join('; ')
}

/** ssh argv (without the program name) that uploads the script on stdin and runs it. */
export function shellRunArgs(target: SshTarget, run: ShellRun): string[] {
  return sshArgs(target, {command: [renderShellCommand(run)], batch: true, connectTimeoutSeconds: 15})
}

/** Whether a script starts with "#!". */
export function hasShebang(script: string | Uint8Array): boolean {
  return typeof script === 'string' ? script.startsWith('#!') : script[0] === 0x23 && script[1] === 0x21
}

/** Runs a shell provisioner on the machine; resolves to the script's exit status. */
export async function runShellProvisioner(ctx: ProvisionContext, provisioner: ShellProvisioner): Promise<number> {
  const {inline, path} = provisioner
  const shebang = inline !== undefined ? hasShebang(inline) : await scriptHasShebang(ctx, provisioner, path!)
  const args = shellRunArgs(ctx.target, {privileged: provisioner.privileged, env: provisioner.env, args: provisioner.args, shebang})
  return exitStatusOf(() =>
    ctx.runner.run('ssh', args, {
      ...(inline !== undefined ? {input: inline} : {inputFile: path}),
      onLine: linesTo(ctx.out),
      signal: ctx.signal,
    }),
  )
}

/**
 * Reads the script's first two bytes. This also turns a script that vanished since the Vmfile was
 * checked into an error that names it (the runner would blame a missing stdin file on ssh).
 */
async function scriptHasShebang(ctx: ProvisionContext, provisioner: ShellProvisioner, path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'r')
    try {
      const head = new Uint8Array(2)
      const {bytesRead} = await handle.read(head, 0, 2, 0)
      return hasShebang(head.subarray(0, bytesRead))
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw new ProvisionerError(ctx.machine, provisioner.label, `cannot read the script ${path}: ${(error as Error).message}`, {
      code: 'PROVISION_SCRIPT_UNREADABLE',
      hint: 'Check the `path` of this provisioner in the Vmfile.',
      cause: error,
    })
  }
}

/** One word for the guest's POSIX shell. */
function quote(word: string): string {
  return shellQuote([word])
}
