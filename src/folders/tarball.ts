import {mkdir, mkdtemp, open, rm} from 'node:fs/promises'
import {join} from 'node:path'

import type {Runner} from '../exec/runner.js'

export type TarballOptions = {
  readonly runner: Runner
  /** The host folder the member names are relative to. */
  readonly root: string
  /** Relative paths ('.' for the folder itself), parents before children; exactly these are archived. */
  readonly members: readonly string[]
  /** Where the archive is written; made (0700) when missing. */
  readonly tmpDir: string
  readonly signal?: AbortSignal
}

/**
 * Archives exactly MEMBERS of ROOT with GNU tar into a private temp file, hands its path to USE,
 * and removes it afterwards, whatever happens.
 *
 * Why the list instead of letting tar walk: our walk already applied the exclude rules (see
 * exclude.ts), and `--no-recursion` makes tar archive the listed entries and nothing else. The
 * list is NUL-separated (`--null`), so names with newlines survive; each name starts with `./` and
 * `--verbatim-files-from` stops tar from reading a name like `-rf` as an option. `.vm` is excluded
 * once more by tar itself as a second fence around the project's private key: with
 * `--no-recursion` tar matches each listed name, so both `.vm` and `.vm/*` are needed (tar's
 * default for excludes is unanchored, so they match at any depth, like the built-in rule).
 */
export async function withTarball<T>(options: TarballOptions, use: (archive: string) => Promise<T>): Promise<T> {
  await mkdir(options.tmpDir, {recursive: true, mode: 0o700})
  // mkdtemp makes the folder 0700: nobody else can read the list or the archive while they exist.
  const dir = await mkdtemp(join(options.tmpDir, 'sync-'))
  try {
    const list = join(dir, 'members')
    const archive = join(dir, 'folder.tar')
    await writePrivate(list, options.members.map((rel) => (rel === '.' ? '.' : `./${rel}`) + '\0').join(''))
    // Created 0600 before tar opens it: tar truncates an existing file and keeps its mode.
    await writePrivate(archive, '')
    await options.runner.run('tar', tarCreateArgs(options.root, list, archive), {signal: options.signal})
    return await use(archive)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** argv for GNU tar (without the program name). */
export function tarCreateArgs(root: string, list: string, archive: string): string[] {
  return [
    '--create',
    `--file=${archive}`,
    // The same layout whatever the host tar was built to default to; GNU tar and busybox read it.
    '--format=gnu',
    // The guest ignores owners (it chowns to its login user); numbers spare name look-ups.
    '--numeric-owner',
    '--exclude=.vm',
    '--exclude=.vm/*',
    '--no-recursion',
    '--null',
    '--verbatim-files-from',
    // Before --files-from: -C applies to the names that follow it.
    `--directory=${root}`,
    `--files-from=${list}`,
  ]
}

async function writePrivate(path: string, data: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(data)
  } finally {
    await handle.close()
  }
}
