import {existsSync} from 'node:fs'
import {mkdir, open} from 'node:fs/promises'

import {ExecaRunner, type CommandResult, type RunOptions, type Runner} from '../../../../src/exec/runner.js'
import {runTool} from '../../fixture.js'

export const MiB = 1024 * 1024

/** Which Debian package brings each host tool these tests run. */
const PACKAGES: Record<string, string> = {
  'qemu-img': 'qemu-utils',
  xz: 'xz-utils',
  gzip: 'gzip',
  zstd: 'zstd',
  tar: 'tar',
  python3: 'python3',
  '/usr/bin/python3': 'python3',
}

/** The system python3 starts in 40 ms; a pyenv shim first on PATH takes 250. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

/** Runs a host tool and fails the test, with its stderr, when it fails. */
export function tool(command: string, ...args: string[]): string {
  const ran = runTool(command, args, PACKAGES[command] ?? command)
  if (ran.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${ran.status}): ${ran.stderr}`)
  return ran.stdout
}

/** Runs `command ... > output`, for the compressors. */
export function toolToFile(output: string, command: string, ...args: string[]): void {
  tool('sh', '-c', `"$@" > '${output.replace(/'/g, `'\\''`)}'`, 'sh', command, ...args)
}

/**
 * A sparse raw disk of SIZE bytes with a few distinct blocks written: a boot-sector-like start,
 * blocks at 1 MiB and 5 MiB, one at the very end, and SCATTERED more every 256 KiB from 6 MiB on
 * (a real disk has thousands of holes: old GNU sparse archives then need extension blocks).
 */
export async function makeRaw(path: string, {size = 16 * MiB, seed = 1, scattered = 0} = {}): Promise<void> {
  const handle = await open(path, 'wx')
  try {
    await handle.truncate(size)
    const block = (fill: number) => Buffer.alloc(4096, (fill + seed) & 0xff)
    const boot = Buffer.alloc(512)
    boot.set([0xeb, 0x63, 0x90], 0)
    boot.writeUInt16BE(0x55aa, 510)
    await handle.write(boot, 0, 512, 0)
    for (const [offset, fill] of [
      [1 * MiB, 0x11],
      [5 * MiB + 512, 0x22],
      [size - 4096, 0x33],
    ] as const) {
      await handle.write(block(fill), 0, 4096, offset)
    }
    for (let i = 0; i < scattered; i++) await handle.write(block(i), 0, 512, 6 * MiB + i * 256 * 1024)
  } finally {
    await handle.close()
  }
}

/** True when the two images hold the same guest-visible bytes (qemu-img compare, formats named). */
export function sameImage(a: string, aFormat: string, b: string, bFormat: string): boolean {
  return runTool('qemu-img', ['compare', '-f', aFormat, '-F', bFormat, a, b], 'qemu-utils').status === 0
}

export type TarSpec = {
  name: string
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo'
  /** Contents for a file: text, or {file} to copy a file's bytes. */
  data?: string | {file: string}
  linkname?: string
}

/**
 * Writes a tarball exactly as SPEC says with Python's tarfile, which (unlike node-tar and GNU tar)
 * writes absolute names, ".." and devices without complaint: the hostile archives.
 */
export function pythonTar(path: string, members: TarSpec[]): void {
  const script = `
import io, json, sys, tarfile
types = {'file': tarfile.REGTYPE, 'dir': tarfile.DIRTYPE, 'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE,
         'char': tarfile.CHRTYPE, 'block': tarfile.BLKTYPE, 'fifo': tarfile.FIFOTYPE}
with tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT) as t:
    for m in json.loads(sys.argv[2]):
        info = tarfile.TarInfo(m['name'])
        info.type = types[m.get('type', 'file')]
        info.mode = 0o644
        data = m.get('data')
        if isinstance(data, dict):
            data = open(data['file'], 'rb').read()
        elif data is not None:
            data = data.encode()
        if m.get('linkname'): info.linkname = m['linkname']
        if info.type in (tarfile.CHRTYPE, tarfile.BLKTYPE): info.devmajor, info.devminor = 1, 3
        info.size = len(data) if data is not None else 0
        t.addfile(info, io.BytesIO(data) if data is not None else None)
`
  tool(PYTHON, '-c', script, path, JSON.stringify(members))
}

/** A Runner that records each command before the real one runs it. */
export class RecordingRunner implements Runner {
  readonly commands: string[][] = []
  private readonly inner = new ExecaRunner()

  run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult> {
    this.commands.push([file, ...args])
    return this.inner.run(file, args, options)
  }

  /** The programs run, with prlimit's payload named instead of prlimit. */
  programs(): string[] {
    return this.commands.map(([file, ...args]) => (file === 'prlimit' ? `prlimit ${args[args.indexOf('--') + 1]} ${args[args.indexOf('--') + 2]}` : `${file} ${args[0]}`))
  }
}

export {tempDir, tree} from '../../fixture.js'

export async function makeDir(path: string): Promise<string> {
  await mkdir(path, {recursive: true})
  return path
}
