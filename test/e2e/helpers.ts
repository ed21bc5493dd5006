import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {mkdtemp, stat} from 'node:fs/promises'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {pipeline} from 'node:stream/promises'

import {execa} from 'execa'

/** The repository's root, where bin/run.js is. */
export const ROOT = new URL('../../', import.meta.url).pathname

/** The pool the tests use, so a run never touches a user's "vmfile" pool. */
export const TEST_POOL = 'vmfile-e2e'
export const URI = 'qemu:///system'

/** The test cloud image test/run.sh built (see test/e2e/image/). */
export function testImage(): string {
  const image = process.env.VM_TEST_IMAGE
  if (!image) throw new Error('VM_TEST_IMAGE is not set: run the end-to-end tests through `npm test`.')
  return image
}

export type ImageServer = {
  readonly imageUrl: string
  readonly checksumUrl: string
  readonly sha256: string
  /** Paths requested so far, in order. */
  readonly requests: string[]
  close(): Promise<void>
}

/** Serves the image and a SHA256SUMS for it on 127.0.0.1, so vm's real download path runs. */
export async function serveImage(path: string): Promise<ImageServer> {
  const name = basename(path)
  const sha256 = await sha256Of(path)
  const {size} = await stat(path)
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    if (req.url === `/${name}`) {
      res.writeHead(200, {'content-length': size, 'content-type': 'application/octet-stream'})
      pipeline(createReadStream(path), res).catch(() => res.destroy())
    } else if (req.url === '/SHA256SUMS') {
      res.end(`${'0'.repeat(64)}  other.qcow2\n${sha256} *${name}\n`)
    } else {
      res.writeHead(404).end('not found\n')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    imageUrl: `${base}/${name}`,
    checksumUrl: `${base}/SHA256SUMS`,
    sha256,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

export type VmResult = {stdout: string; stderr: string; exitCode: number; seconds: number}

/** Runs the built CLI (node bin/run.js) as a user would, in CWD, with the test's VM_HOME. */
export async function vm(args: string[], options: {cwd: string; home: string; env?: Record<string, string>}): Promise<VmResult> {
  const started = performance.now()
  const result = await execa('node', [join(ROOT, 'bin/run.js'), ...args], {
    cwd: options.cwd,
    reject: false,
    stdin: 'ignore',
    env: {VM_HOME: options.home, VM_POOL: TEST_POOL, VM_ACCELERATOR: 'tcg', ...options.env},
  })
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode: result.exitCode ?? 1,
    seconds: (performance.now() - started) / 1000,
  }
}

/** Runs real virsh against the test libvirt; for assertions about what exists. */
export async function virsh(...args: string[]): Promise<string> {
  const {stdout} = await execa('virsh', ['-c', URI, ...args], {env: {LC_ALL: 'C'}})
  return stdout
}

export async function domainsNamed(fragment: string): Promise<string[]> {
  return (await virsh('list', '--all', '--name')).split('\n').filter((n) => n.includes(fragment))
}

export async function volumesNamed(fragment: string): Promise<string[]> {
  const out = await virsh('vol-list', '--pool', TEST_POOL).catch(() => '')
  return out
    .split('\n')
    .slice(2)
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '' && n.includes(fragment))
}

/**
 * Removes what an earlier, interrupted test run left in the test pool: its machines' domains
 * (named lab-<machine>-<hash>), private networks (lab-private-<hash>) and every volume but the
 * boxes (named by their sha256).
 */
export async function removeDebrisOfEarlierRuns(): Promise<void> {
  for (const domain of await domainsNamed('lab-')) {
    if (!/^lab-[a-z0-9-]+-[0-9a-f]{8}$/.test(domain)) continue
    await virsh('destroy', domain).catch(() => undefined)
    await virsh('undefine', domain)
  }
  for (const network of (await virsh('net-list', '--all', '--name')).split('\n')) {
    if (!/^lab-private-[0-9a-f]{8}$/.test(network.trim())) continue
    await virsh('net-destroy', network.trim()).catch(() => undefined)
    await virsh('net-undefine', network.trim())
  }
  for (const volume of await volumesNamed('')) {
    if (!/^[0-9a-f]{64}\.qcow2$/.test(volume)) await virsh('vol-delete', '--pool', TEST_POOL, volume)
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

/** Prints a line to the test log: the numbers the closing note reports come from here. */
export function note(line: string): void {
  process.stderr.write(`      # ${line}\n`)
}
