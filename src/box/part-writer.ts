import type {FileHandle} from 'node:fs/promises'
import {open} from 'node:fs/promises'
import {dirname} from 'node:path'
import {Writable, type Readable} from 'node:stream'

import {InterruptedError, VmError} from '../errors.js'
import {isAbort} from './fetch.js'

/**
 * The sink of one transfer: writes the body into the part file from `offset` on and tells
 * `onWritten` the file's new size after each write. One writer per HTTP response; the caller
 * fsyncs once the file is complete (syncFile), not after every broken-off try.
 *
 * Why not fs.createWriteStream: it cannot start at an offset of an existing file without 'r+'
 * tricks and it reports nothing per write. Here
 * chunks that queue up while a write is in flight go out together in one writev (no copying), and
 * the size is known exactly when the bytes are in the file, which is what the hasher and the
 * progress display need.
 */
export type PartWriterOptions = {
  readonly path: string
  /** Where the first byte goes; the file must be exactly this long. */
  readonly offset: number
  /** Called with the file's new size after each write. */
  readonly onWritten: (size: number) => void
  /** The file may not grow past this; a write that would is not made, and `limitError` is thrown instead. */
  readonly maxSize?: number
  readonly limitError?: (size: number) => Error
}

/**
 * Writes queue up to this many bytes before the response is paused: large batches, few system
 * calls. The socket buffers meanwhile, so the network does not wait for the disk.
 */
const BUFFER_BYTES = 4 * 1024 * 1024

/**
 * Every this many bytes, a datasync starts in the background (one at a time, never awaited by the
 * transfer). On a link slower than the disk the writeback then happens during the download, and
 * the final fsync (syncFile) finds little left to do instead of flushing the whole image at the end.
 */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024

export class PartWriter extends Writable {
  private handle: FileHandle | undefined
  private position: number
  private syncedUpTo: number
  private syncing: Promise<void> | undefined
  /** A background datasync's failure, reported by the next write: Linux forgets it after one fsync. */
  private syncError: unknown

  constructor(private readonly options: PartWriterOptions) {
    super({highWaterMark: BUFFER_BYTES, decodeStrings: true})
    this.position = this.syncedUpTo = options.offset
  }

  override _construct(callback: (error?: Error | null) => void): void {
    // r+: never create the file here (the caller did) and never truncate what it kept.
    open(this.options.path, 'r+').then(
      (handle) => {
        this.handle = handle
        callback()
      },
      (error: unknown) => callback(cacheWriteError(error, this.options.path)),
    )
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), callback)
  }

  override _writev(chunks: {chunk: Buffer}[], callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map(({chunk}) => chunk)).then(() => callback(), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    // A background datasync still running must not fail unheard.
    void (this.syncing ?? Promise.resolve()).then(() =>
      callback(this.syncError ? cacheWriteError(this.syncError, this.options.path) : undefined),
    )
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle
    this.handle = undefined
    if (!handle) return callback(error)
    handle.close().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    )
  }

  /**
   * writev may write less than asked (rarely, on a regular file); go on until every byte is in.
   * Errors become BOX_CACHE_WRITE_FAILED here, where it is certain they are the disk's and not the network's.
   */
  private async writeAll(buffers: Buffer[]): Promise<void> {
    try {
      const incoming = buffers.reduce((sum, buffer) => sum + buffer.length, 0)
      const {maxSize, limitError} = this.options
      if (maxSize !== undefined && this.position + incoming > maxSize) {
        throw limitError?.(this.position + incoming) ?? new Error(`the file would grow past ${maxSize} bytes`)
      }
      let pending = buffers
      while (pending.length > 0) {
        const {bytesWritten} = await this.handle!.writev(pending, this.position)
        if (bytesWritten === 0) throw Object.assign(new Error('the disk accepted no bytes'), {code: 'EIO'})
        this.position += bytesWritten
        this.options.onWritten(this.position)
        pending = dropBytes(pending, bytesWritten)
      }
      if (this.syncError) throw this.syncError
      if (!this.syncing && this.position - this.syncedUpTo >= SYNC_EVERY_BYTES) this.startSync()
    } catch (error) {
      throw cacheWriteError(error, this.options.path)
    }
  }

  private startSync(): void {
    this.syncedUpTo = this.position
    this.syncing = this.handle!.datasync().then(
      () => (this.syncing = undefined),
      (error: unknown) => {
        this.syncError = error
        this.syncing = undefined
      },
    )
  }
}

/**
 * Copies `source` into `writer` until the source ends. Unlike pipeline(), a failing source (the
 * connection broke, stalled, or `signal` fired) does not throw away what already arrived: the
 * writer first writes every byte it holds, then the source's error is thrown. Those bytes are
 * good, and the next Range request then starts after them instead of megabytes earlier.
 */
export function writeBody(source: Readable, writer: Writable, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let sourceError: unknown
    const onAbort = () => source.destroy(Object.assign(new Error('The operation was aborted'), {name: 'AbortError', code: 'ABORT_ERR'}))
    const settle = (error?: unknown) => {
      signal?.removeEventListener('abort', onAbort)
      if (error === undefined) resolve()
      else reject(error)
    }
    source.on('data', (chunk: Buffer) => {
      if (!writer.write(chunk)) source.pause()
    })
    writer.on('drain', () => source.resume())
    let ended = false
    source.once('end', () => {
      ended = true
      writer.end()
    })
    source.once('error', (error) => {
      sourceError ??= error
      writer.end() // keep what arrived
    })
    // Closed without 'end' or 'error': never wait forever for a body that will not come.
    source.once('close', () => {
      if (ended || sourceError) return
      sourceError = Object.assign(new Error('the response closed before its end'), {code: 'ERR_STREAM_PREMATURE_CLOSE'})
      writer.end()
    })
    writer.once('finish', () => settle(sourceError))
    writer.once('error', (error) => {
      source.destroy()
      settle(error)
    })
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, {once: true})
  }).finally(() => {
    // Settled: let the writer close its file before the caller looks at it.
    writer.destroy()
    return writer.closed ? undefined : new Promise((done) => writer.once('close', done))
  })
}

/** fsync of a whole file by path (the writers are closed by then). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** A failure of the part file or its state: the cache's disk, not the network. Retrying another URL would not help. */
export function cacheWriteError(error: unknown, path: string): Error {
  if (error instanceof VmError) return error
  if (isAbort(error)) return new InterruptedError()
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const full = code === 'ENOSPC' || code === 'EDQUOT'
  const reason = error instanceof Error ? error.message : String(error)
  return new VmError(`Writing the download ${path} failed: ${reason}.`, {
    code: 'BOX_CACHE_WRITE_FAILED',
    cause: error,
    hint: full
      ? `Free some space where ${path} lives, then run the command again; the download resumes where it stopped.`
      : `Check that ${dirname(path)} is writable, then run the command again.`,
  })
}

/** The buffers minus their first `count` bytes, without copying. */
function dropBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count
  let index = 0
  while (index < buffers.length && left >= buffers[index]!.length) left -= buffers[index++]!.length
  const rest = buffers.slice(index)
  if (rest.length > 0 && left > 0) rest[0] = rest[0]!.subarray(left)
  return rest
}
