import {createHash} from 'node:crypto'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {resolveVmHome, type VmHome} from '../../../src/home.js'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A real HTTP server on 127.0.0.1 with a route table that tests may change between calls. */
export type TestServer = {
  url(path: string): string
  /** Paths requested, in order. */
  readonly requests: string[]
  routes: Record<string, Handler>
  close(): Promise<void>
}

export async function startServer(routes: Record<string, Handler> = {}): Promise<TestServer> {
  const requests: string[] = []
  const state = {routes}
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    const handler = state.routes[req.url ?? '']
    if (handler) return handler(req, res)
    res.writeHead(404, {'content-type': 'text/plain'}).end('not found\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
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

/** Serves `body` whole, with a Content-Length. */
export function serve(body: Buffer | string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(200, {'content-length': String(Buffer.byteLength(body)), ...headers}).end(body)
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
