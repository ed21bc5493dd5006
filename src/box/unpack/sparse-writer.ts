import type {FileHandle} from 'node:fs/promises'
import {Writable} from 'node:stream'

/** Blocks of this size that hold only zeros become holes. A file system block is 4 KiB. */
const BLOCK = 4096
const ZEROS = Buffer.alloc(BLOCK)

/**
 * A stream into a file that leaves runs of zero bytes as holes. Disk images are mostly zeros: a
 * 2 GiB raw image may hold 700 MB of data, and a sparse copy costs that much disk, not 2 GiB, and
 * lets `qemu-img convert` skip the holes without reading them.
 */
export class SparseWriter extends Writable {
  /** Bytes received so far: the file's length once finished. */
  written = 0

  constructor(private readonly handle: FileHandle) {
    super({highWaterMark: 1024 * 1024})
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunk(chunk).then(() => callback(), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    // A trailing hole is only a length: set it, or the file would end at its last data block.
    this.handle.truncate(this.written).then(() => callback(), callback)
  }

  private async writeChunk(chunk: Buffer): Promise<void> {
    const start = this.written
    let runStart = -1
    // Walk the chunk in pieces that end on the file's block boundaries, so that holes and writes
    // line up with whole blocks. (Skipping any zero bytes would be correct: a hole reads as zeros.)
    let offset = 0
    while (offset < chunk.length) {
      const end = Math.min(chunk.length, offset + BLOCK - ((start + offset) % BLOCK))
      const zero = chunk.subarray(offset, end).equals(ZEROS.subarray(0, end - offset))
      if (zero && runStart >= 0) {
        await this.writeAll(chunk.subarray(runStart, offset), start + runStart)
        runStart = -1
      } else if (!zero && runStart < 0) {
        runStart = offset
      }
      offset = end
    }
    if (runStart >= 0) await this.writeAll(chunk.subarray(runStart), start + runStart)
    this.written += chunk.length
  }

  private async writeAll(data: Buffer, position: number): Promise<void> {
    let done = 0
    while (done < data.length) {
      const {bytesWritten} = await this.handle.write(data, done, data.length - done, position + done)
      done += bytesWritten
    }
  }
}
