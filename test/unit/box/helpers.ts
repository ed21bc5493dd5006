import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {execFileSync} from 'node:child_process'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import {createServer as createTlsServer, globalAgent} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {resolveVmHome, type VmHome} from '../../../src/home.js'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A real HTTP (or, given a key and certificate, HTTPS) server on 127.0.0.1 with a route table that tests may change between calls. */
export type TestServer = {
  url(path: string): string
  /** Paths requested, in order. */
  readonly requests: string[]
  routes: Record<string, Handler>
  close(): Promise<void>
}

export async function startServer(routes: Record<string, Handler> = {}, tls?: TestCertificate): Promise<TestServer> {
  const requests: string[] = []
  const state = {routes}
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? '')
    const handler = state.routes[req.url ?? '']
    if (handler) return handler(req, res)
    res.writeHead(404, {'content-type': 'text/plain'}).end('not found\n')
  }
  const server = tls ? createTlsServer({key: tls.key, cert: tls.cert}, handle) : createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: (path) => `${tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`,
    requests,
    get routes() {
      return state.routes
    },
    set routes(value) {
      state.routes = value
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type TestCertificate = {readonly key: string; readonly cert: string}

/**
 * A throw-away self-signed certificate for 127.0.0.1 (openssl, a second or so), made in the test.
 * trustCertificate makes Node's global https agent (which got uses) trust it until the returned
 * function is called.
 */
export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'vm-tls-'))
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')]
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
    args.push('-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert)
    try {
      execFileSync('openssl', args, {stdio: 'pipe'})
    } catch (error) {
      throw new Error(`openssl could not make a test certificate (${(error as Error).message}); this test needs: apt-get install openssl`)
    }
    return {key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8')}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

export function trustCertificate(certificate: TestCertificate): () => void {
  const options = globalAgent.options as {ca?: unknown}
  const before = options.ca
  options.ca = certificate.cert
  return () => {
    options.ca = before
    globalAgent.destroy() // no kept-alive socket to a closed test server outlives the test
  }
}

/** Serves `body` whole, with a Content-Length. */
export function serve(body: Buffer | string, headers: Record<string, string> = {}, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, {'content-length': String(Buffer.byteLength(body)), ...headers}).end(body)
  }
}

/** A real qcow2 (a few hundred KiB: several chunks), as unpacking accepts only genuine images. */
export function makeQcow2(virtualSize: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'vm-qcow2-'))
  try {
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'x.qcow2'), virtualSize])
    return readFileSync(join(dir, 'x.qcow2'))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Deterministic, incompressible-looking image bytes. */
export function fakeImage(size: number, seed = 'image'): Buffer {
  const out = Buffer.alloc(size)
  let block = createHash('sha256').update(seed).digest()
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset)
    block = createHash('sha256').update(block).digest()
  }
  return out
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')
export const sha512 = (data: Buffer | string) => createHash('sha512').update(data).digest('hex')

/** A throw-away VM_HOME. */
export async function tempHome(): Promise<{dir: string; home: VmHome; cleanup(): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'vm-box-test-'))
  return {dir, home: resolveVmHome({VM_HOME: dir}), cleanup: () => rm(dir, {recursive: true, force: true})}
}

/** Names in a folder, [] when it does not exist. */
export async function list(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort()
}

/** Runs `fn` and returns what it threw; fails the test when it did not throw. */
export async function rejection(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn()
  } catch (error) {
    return error as Error & Record<string, unknown>
  }
  throw new Error('expected a rejection, got success')
}
