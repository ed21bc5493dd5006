import {lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ExecaRunner, type CommandResult, type RunOptions, type Runner} from '../../../src/exec/runner.js'
import type {SshTarget} from '../../../src/ssh/ssh-args.js'
import type {SyncedFolder} from '../../../src/vmfile/types.js'

export type Call = {file: string; args: readonly string[]; options: RunOptions}

/**
 * A runner whose "guest" is this machine: tar runs for real, and an ssh call runs its remote
 * command with `sh -c` locally (what sshd does with the login shell), its stdin fed from
 * inputFile. BEFORE_SSH may tamper with the archive first (to simulate a broken transfer).
 */
export class LocalGuestRunner implements Runner {
  readonly calls: Call[] = []
  private readonly real = new ExecaRunner()

  constructor(private readonly beforeSsh?: (call: Call) => void) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const call = {file, args, options}
    this.calls.push(call)
    if (file === 'tar') return this.real.run(file, args, options)
    if (file === 'ssh') {
      const dashes = args.indexOf('--')
      const command = args.slice(dashes + 2)
      if (dashes === -1 || command.length !== 1) throw new Error(`expected one remote command string, got ${JSON.stringify(command)}`)
      this.beforeSsh?.(call)
      return this.real.run('sh', ['-c', command[0]!], {inputFile: options.inputFile, signal: options.signal})
    }
    throw new Error(`unexpected command: ${file} ${args.join(' ')}`)
  }

  get sshCommands(): string[] {
    return this.calls.filter((c) => c.file === 'ssh').map((c) => c.args.at(-1)!)
  }
}

export const target: SshTarget = {
  host: '192.0.2.1',
  port: 22,
  user: 'vm',
  identityFile: '/nonexistent/id_ed25519',
  knownHostsFile: '/nonexistent/known_hosts',
  hostKeyAlias: 'vm-test',
}

export function folderOf(hostPath: string, guestPath: string, exclude: string[] = []): SyncedFolder {
  return {hostPath, guestPath, type: 'rsync', exclude}
}

export function tempDir(prefix = 'vm-folders-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, {recursive: true, force: true})
}

/** A tree as data: "dir", "file:<content>", or "link:<target>"; keys are relative paths. */
export type Tree = Record<string, string>

/** Makes TREE under ROOT (parents first, as the keys come). */
export function makeTree(root: string, tree: Tree): void {
  mkdirSync(root, {recursive: true})
  for (const [rel, spec] of Object.entries(tree)) {
    const path = join(root, rel)
    if (spec === 'dir') mkdirSync(path, {recursive: true})
    else if (spec.startsWith('file:')) writeFileSync(path, spec.slice(5))
    else if (spec.startsWith('link:')) symlinkSync(spec.slice(5), path)
    else throw new Error(`bad spec ${spec}`)
  }
}

/** Reads ROOT back as a Tree, with each entry's permission bits, so two trees compare with deep equality. */
export function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const rel = prefix + name
      const path = join(dir, name)
      const info = lstatSync(path)
      const mode = (info.mode & 0o7777).toString(8)
      if (info.isSymbolicLink()) out[rel] = `link:${readlinkSync(path)}`
      else if (info.isDirectory()) {
        out[rel] = `dir ${mode}`
        walk(path, `${rel}/`)
      } else out[rel] = `file ${mode}:${readFileSync(path, 'utf8')}`
    }
  }
  walk(root, '')
  return out
}
