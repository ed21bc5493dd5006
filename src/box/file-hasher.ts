import {Worker} from 'node:worker_threads'

/**
 * Hashes a file while another part of the program is still writing it, in a worker thread that
 * reads the file back behind the writer (from the page cache: the bytes were just written).
 *
 * Why not hash each chunk as it arrives: on the main thread sha256 took a third of the CPU of a
 * loopback download (sha512, for Debian, more than that), in series with receiving and writing.
 * In a worker it runs on another core, and it keeps no queue of chunks in memory: if it falls
 * behind it simply reads further back. It also hashes a resumed download's kept prefix from disk
 * at no extra cost, in parallel with the transfer of the rest. The digest covers the bytes as they
 * are in the file, which is what the cache keeps.
 */

export type Digests = {readonly sha256: string; readonly sha512?: string}

/**
 * The worker's code, as plain CommonJS run with `eval: true`: a Worker cannot load a .ts file under
 * tsx (the tests), and a function's toString() would carry whatever helpers the transpiler adds.
 */
const WORKER_SOURCE = String.raw`
const {parentPort, workerData} = require('node:worker_threads')
const {closeSync, openSync, readSync} = require('node:fs')
const {createHash} = require('node:crypto')

const hashes = workerData.algorithms.map((name) => createHash(name))
const buffer = Buffer.allocUnsafe(workerData.bufferBytes)
let fd
let hashed = 0
let target = 0
let last = false

parentPort.on('message', (message) => {
  if (message.upTo > target) target = message.upTo
  if (message.last) last = true
  try {
    if (fd === undefined) fd = openSync(workerData.path, 'r')
    while (hashed < target) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, target - hashed), hashed)
      if (read === 0) throw new Error('the file ended at ' + hashed + ' bytes, before ' + target)
      const piece = buffer.subarray(0, read)
      for (const hash of hashes) hash.update(piece)
      hashed += read
    }
    if (last) {
      closeSync(fd)
      parentPort.postMessage({size: hashed, digests: hashes.map((hash) => hash.digest('hex'))})
    }
  } catch (error) {
    parentPort.postMessage({error: String((error && error.message) || error), code: error && error.code})
  }
})
`

/** 4 MiB reads: few enough system calls and messages, small enough to stay in the CPU's caches. */
const READ_BYTES = 4 * 1024 * 1024

type WorkerReply = {size: number; digests: string[]} | {error: string; code?: string}

export class FileHasher {
  private readonly worker: Worker
  private readonly result: Promise<WorkerReply>
  private announced = 0

  /** Starts hashing `path` from byte 0; nothing is read until advance() says the bytes are there. */
  constructor(
    readonly path: string,
    private readonly sha512: boolean,
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {path, algorithms: sha512 ? ['sha256', 'sha512'] : ['sha256'], bufferBytes: READ_BYTES},
    })
    // Never the reason the process stays alive (a forgotten stop() must not hang the CLI).
    this.worker.unref()
    this.result = new Promise<WorkerReply>((resolve, reject) => {
      this.worker.once('message', resolve)
      this.worker.once('error', reject)
      this.worker.once('exit', (code) => reject(new Error(`the hash worker stopped (exit code ${code})`)))
    })
    this.result.catch(() => {}) // reported by finish(); a hasher that is only stopped has nobody to tell
  }

  /** The file now holds at least `size` bytes that will not change. */
  advance(size: number): void {
    if (size <= this.announced) return
    this.announced = size
    this.worker.postMessage({upTo: size})
  }

  /** The digests of the first `size` bytes (the whole file); waits for the worker to catch up. */
  async finish(size: number): Promise<Digests & {readonly size: number}> {
    this.worker.postMessage({upTo: size, last: true})
    try {
      const reply = await this.result
      if ('error' in reply) {
        throw Object.assign(new Error(`Hashing ${this.path} failed: ${reply.error}`), {code: reply.code, path: this.path})
      }
      const [sha256 = '', sha512] = reply.digests
      return this.sha512 ? {size: reply.size, sha256, sha512} : {size: reply.size, sha256}
    } finally {
      await this.stop()
    }
  }

  /** Stops the worker without a result (failure, abort, or a restart from zero). */
  async stop(): Promise<void> {
    await this.worker.terminate()
  }
}
