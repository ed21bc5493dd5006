import {randomBytes} from 'node:crypto'
import {mkdir, open, readdir, rm, stat} from 'node:fs/promises'
import {basename, dirname, isAbsolute, join, posix, relative} from 'node:path'

import {shellQuote} from '../exec/shell-quote.js'
import {sshArgs, type SshTarget} from '../ssh/ssh-args.js'
import type {Provisioner} from '../vmfile/types.js'
import {exitStatusOf, linesTo, type ProvisionContext} from './context.js'
import {ProvisionerError} from './errors.js'

export type FileProvisioner = Extract<Provisioner, {kind: 'file'}>

export type SourceKind = 'file' | 'folder'

/**
 * GNU tar argv (without the program name) that packs MEMBERS of DIR into TARBALL. Members are
 * "./name" so none can be read as an option. EXCLUDE (relative to DIR) is left out, matched
 * literally from the start of a member's name: globs in a path must not widen it.
 * `--files-from=/dev/null` lets an empty folder give an empty tarball instead of an error.
 */
export function packArgs(dir: string, members: readonly string[], tarball: string, options: {exclude?: string; dereference?: boolean} = {}): string[] {
  return [
    '--create',
    '--file', tarball,
    '--directory', dir,
    ...(options.dereference ? ['--dereference'] : []),
    ...(options.exclude === undefined ? [] : ['--anchored', '--no-wildcards', `--exclude=./${options.exclude}`]),
    '--files-from=/dev/null',
    ...members,
  ]
}

/**
 * The guest command (read by the login user's shell) that unpacks the tarball on stdin at
 * DESTINATION, with only the short tar options busybox tar also knows.
 *
 * - A folder's contents land in DESTINATION, made if missing: the folder is copied as
 *   DESTINATION (Vagrant's behaviour). The tarball holds the folder's entries, not the folder
 *   itself, so an existing DESTINATION keeps its own mode: extracting "." into the home folder
 *   would make it group-writable and sshd would then refuse our key.
 * - A file (tarball member MEMBER) is unpacked into a private temp folder first (reading all of
 *   stdin before anything can fail), then moved to DESTINATION. Like scp, a DESTINATION that is
 *   an existing folder, or ends in "/", receives the file under its own name.
 */
export function renderUnpackCommand(kind: SourceKind, destination: string, member: string): string {
  const dest = renderGuestPath(destination)
  if (kind === 'folder') return `mkdir -p -- ${dest} && tar -x -f - -C ${dest}`
  const intoFolder = destination.endsWith('/') || destination === '~'
  const folder = renderGuestPath(intoFolder ? destination : posix.dirname(destination))
  return [
    't=$(mktemp -d) || exit 1',
    `tar -x -f - -C "$t" && mkdir -p -- ${folder} && mv -f -- "$t"/${quote(member)} ${dest}`,
    's=$?',
    'rm -rf "$t"',
    'exit $s',
  ].join('; ')
}

/** A guest path as one shell word; "~" and "~/..." are the login user's home, as in a shell. */
export function renderGuestPath(path: string): string {
  if (path === '~' || path === '~/') return '"$HOME"'
  if (path.startsWith('~/')) return `"$HOME"/${quote(path.slice(2))}`
  return quote(path)
}

/** ssh argv (without the program name) that unpacks the tarball on stdin in the guest. */
export function unpackArgs(target: SshTarget, kind: SourceKind, destination: string, member: string): string[] {
  return sshArgs(target, {command: [renderUnpackCommand(kind, destination, member)], batch: true, connectTimeoutSeconds: 15})
}

/**
 * Copies a host file or folder into the guest as the login user: one tarball made by the host's
 * GNU tar, one ssh connection running the guest's tar (every cloud image has tar; rsync often is
 * missing). Resolves to the guest command's exit status.
 */
export async function runFileProvisioner(ctx: ProvisionContext, provisioner: FileProvisioner): Promise<number> {
  const {source, destination} = provisioner
  const kind = await sourceKind(ctx, provisioner)
  const {tmpDir, stateDir} = ctx.projectPaths
  await mkdir(tmpDir, {recursive: true, mode: 0o700})
  // Made here with 0600 (tar would use the umask): the tarball may hold private files.
  const tarball = join(tmpDir, `file-provision-${randomBytes(6).toString('hex')}.tar`)
  await (await open(tarball, 'wx', 0o600)).close()
  try {
    const pack =
      kind === 'file'
        ? packArgs(dirname(source), [`./${basename(source)}`], tarball, {dereference: true})
        : packArgs(source, (await readdir(source)).sort().map((name) => `./${name}`), tarball, {exclude: inside(source, stateDir)})
    await ctx.runner.run('tar', pack, {signal: ctx.signal})
    return await exitStatusOf(() =>
      ctx.runner.run('ssh', unpackArgs(ctx.target, kind, destination, basename(source)), {
        inputFile: tarball,
        onLine: linesTo(ctx.out),
        signal: ctx.signal,
      }),
    )
  } finally {
    await rm(tarball, {force: true})
  }
}

/**
 * PATH relative to FOLDER when it lies inside it: the project's `.vm/` (keys, this very tarball)
 * never goes into a guest, even when the source is the project folder.
 */
function inside(folder: string, path: string): string | undefined {
  const rel = relative(folder, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : undefined
}

async function sourceKind(ctx: ProvisionContext, provisioner: FileProvisioner): Promise<SourceKind> {
  let facts
  try {
    facts = await stat(provisioner.source)
  } catch (error) {
    throw new ProvisionerError(ctx.machine, provisioner.label, `cannot read ${provisioner.source}: ${(error as Error).message}`, {
      code: 'PROVISION_SOURCE_UNREADABLE',
      hint: 'Check the `source` of this provisioner in the Vmfile.',
      cause: error,
    })
  }
  if (facts.isDirectory()) return 'folder'
  if (facts.isFile()) return 'file'
  throw new ProvisionerError(ctx.machine, provisioner.label, `${provisioner.source} is neither a file nor a folder.`, {
    code: 'PROVISION_SOURCE_UNREADABLE',
    hint: 'Name a file or a folder as the `source` of this provisioner.',
  })
}

/** One word for the guest's POSIX shell. */
function quote(word: string): string {
  return shellQuote([word])
}
