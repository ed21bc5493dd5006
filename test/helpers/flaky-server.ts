import {createHash} from 'node:crypto'
import {createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {setTimeout as delay} from 'node:timers/promises'

/**
 * A real HTTP server on 127.0.0.1 that serves files with Range support (RFC 9110: 206, 416,
 * If-Range against the ETag or Last-Modified) and misbehaves on request: each queued fault
 * spoils one request to its path, then the path behaves again. It counts the body bytes it sends,
 * so tests can tell a resume from a restart.
 */

export type Fault =
  /** Send this many body bytes, then cut the connection. */
  | {readonly kind: 'drop'; readonly afterBytes: number; readonly after?: () => void}
  /** Send this many body bytes, then go silent with the connection open (a stall). */
  | {readonly kind: 'stall'; readonly afterBytes: number; readonly after?: () => void}
  /** Answer with this status (and headers) instead of the file. */
  | {readonly kind: 'status'; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly after?: () => void}
  /** Answer 200 with the whole file even to a Range request, like a server without Range support. */
  | {readonly kind: 'ignore-range'; readonly after?: () => void}
  /** Honour Range but not If-Range (a broken server): the range is sent whatever the validator says. */
  | {readonly kind: 'ignore-if-range'; readonly after?: () => void}
  /** Send the body slowly: chunkBytes every intervalMs. */
  | {readonly kind: 'trickle'; readonly chunkBytes: number; readonly intervalMs: number; readonly after?: () => void}
  /** Never answer at all (the response timeout). */
  | {readonly kind: 'hang'; readonly after?: () => void}

export type ServeOptions = {
  /** Defaults to a strong ETag derived from the body; null sends none. */
  readonly etag?: string | null
  readonly lastModified?: string
  /** false: ignore Range headers on every request (a server without Range support). */
  readonly ranges?: boolean
}

export type RequestRecord = {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly range?: string
  readonly ifRange?: string
  status: number
  /** Body bytes handed to the socket. */
  bytesSent: number
}

export type FlakyServer = {
  url(path: string): string
  /** Publishes (or replaces) the file at `path`. */
  serve(path: string, body: Buffer, options?: ServeOptions): void
  /** Queues faults for the next requests to `path`, one per request, in order. */
  fail(path: string, ...faults: Fault[]): void
  /** Every request, in order. */
  readonly requests: RequestRecord[]
  /** Body bytes sent in all, or for one path. */
  bytesSent(path?: string): number
  close(): Promise<void>
}

type Served = {readonly body: Buffer; readonly etag?: string; readonly lastModified?: string; readonly ranges: boolean}

/** Writes go out in pieces of this size, so a drop or a stall can happen in the middle of the body. */
const PIECE = 64 * 1024

export async function startFlakyServer(): Promise<FlakyServer> {
  const files = new Map<string, Served>()
  const faults = new Map<string, Fault[]>()
  const requests: RequestRecord[] = []

  const server = createServer((req, res) => {
    const path = req.url ?? ''
    const record: RequestRecord = {
      path,
      headers: req.headers,
      range: header(req, 'range'),
      ifRange: header(req, 'if-range'),
      status: 0,
      bytesSent: 0,
    }
    requests.push(record)
    const fault = faults.get(path)?.shift()
    respond(req, res, files.get(path), fault, record)
      .catch(() => res.destroy())
      .finally(() => fault?.after?.())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo

  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    serve(path, body, options = {}) {
      const etag = options.etag === null ? undefined : (options.etag ?? `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`)
      files.set(path, {body, etag, lastModified: options.lastModified, ranges: options.ranges ?? true})
    },
    fail(path, ...more) {
      faults.set(path, [...(faults.get(path) ?? []), ...more])
    },
    requests,
    bytesSent: (path) => requests.filter((r) => path === undefined || r.path === path).reduce((sum, r) => sum + r.bytesSent, 0),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  served: Served | undefined,
  fault: Fault | undefined,
  record: RequestRecord,
): Promise<void> {
  if (fault?.kind === 'hang') return
  if (fault?.kind === 'status') {
    record.status = fault.status
    res.writeHead(fault.status, {'content-type': 'text/plain', ...fault.headers}).end(`HTTP ${fault.status}\n`)
    return
  }
  if (!served) {
    record.status = 404
    res.writeHead(404, {'content-type': 'text/plain'}).end('not found\n')
    return
  }
  const size = served.body.length
  const validators: Record<string, string> = {
    ...(served.etag ? {etag: served.etag} : {}),
    ...(served.lastModified ? {'last-modified': served.lastModified} : {}),
  }
  const honoursRange = served.ranges && fault?.kind !== 'ignore-range'
  const validatorChecked = fault?.kind !== 'ignore-if-range'
  const from = honoursRange && (!validatorChecked || rangeStillValid(req, served)) ? rangeStart(header(req, 'range')) : undefined
  if (from !== undefined && from >= size) {
    record.status = 416
    res.writeHead(416, {'content-range': `bytes */${size}`, ...validators}).end()
    return
  }
  const start = from ?? 0
  record.status = from === undefined ? 200 : 206
  res.writeHead(record.status, {
    'content-type': 'application/octet-stream',
    'content-length': String(size - start),
    ...(served.ranges ? {'accept-ranges': 'bytes'} : {}),
    ...(from === undefined ? {} : {'content-range': `bytes ${start}-${size - 1}/${size}`}),
    ...validators,
  })
  await sendBody(res, served.body.subarray(start), fault, record)
}

async function sendBody(res: ServerResponse, body: Buffer, fault: Fault | undefined, record: RequestRecord): Promise<void> {
  const limit = fault?.kind === 'drop' || fault?.kind === 'stall' ? Math.min(fault.afterBytes, body.length) : body.length
  const piece = fault?.kind === 'trickle' ? fault.chunkBytes : PIECE
  let offset = 0
  let flushed: Promise<void> = Promise.resolve()
  while (offset < limit) {
    if (res.destroyed) return
    const chunk = body.subarray(offset, Math.min(offset + piece, limit))
    let ok = true
    flushed = new Promise<void>((resolve) => {
      ok = res.write(chunk, () => resolve())
    })
    offset += chunk.length
    record.bytesSent += chunk.length
    if (fault?.kind === 'trickle') await delay(fault.intervalMs)
    else if (!ok) await drained(res)
  }
  if (fault?.kind === 'drop') {
    await flushed // the bytes reach the client, then the connection goes
    res.socket?.destroy()
    return
  }
  if (fault?.kind === 'stall') return
  res.end()
}

/** Resolves on 'drain', or when the client went away (no drain will come). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}

/** If-Range: the range applies only if the validator still matches (a strong ETag, or the exact date). */
function rangeStillValid(req: IncomingMessage, served: Served): boolean {
  const ifRange = header(req, 'if-range')
  if (ifRange === undefined) return true
  return ifRange === served.etag || (served.lastModified !== undefined && ifRange === served.lastModified)
}

/** The N of "bytes=N-" (all the client ever asks for); undefined for anything else. */
function rangeStart(range: string | undefined): number | undefined {
  const match = /^bytes=(\d+)-$/.exec(range ?? '')
  return match ? Number(match[1]) : undefined
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}
