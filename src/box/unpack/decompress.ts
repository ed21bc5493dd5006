import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import {pipeline} from 'node:stream/promises'
import {createGunzip} from 'node:zlib'

import {InterruptedError} from '../../errors.js'
import type {Compression} from './sniff.js'
import type {Track} from './size-guard.js'
import {SparseWriter} from './sparse-writer.js'
import {runToFile} from './spawn-to-file.js'

/*
 * Measured on a 2 GiB raw image holding 690 MiB of data (2 cores, files in the page cache):
 *   xz    155 MB: `xz -dc -T0` 5.4 s (multi-block file; 9.8 s single-threaded or single-block)
 *   gzip  239 MB: node:zlib into SparseWriter 2.6 s, node:zlib into a plain stream 3.1 s, `gzip -dc` 10.0 s
 *   zstd  224 MB: `zstd -dc --sparse` 1.0 s
 * Node has no xz, and Node 20 no zstd, so those two run the system tools. Their output comes
 * through a pipe into SparseWriter (runToFile), as gzip's does, so that every byte is counted for
 * the size limit and zero runs stay holes. That costs about 1 s a GiB (measured: 1 GiB of zeros from
 * xz 1.7 s straight into a file, 2.8 s through the pipe; 1.3 GB holding 600 MB of data from zstd
 * 3.0 s and 4.9 s); a tool writing the file itself would seek over zeros unseen until its end.
 */

/** argv for the tools that decompress to stdout. `--` keeps any path from reading as an option. */
export function decompressArgs(compression: Exclude<Compression, 'gzip'>, input: string): [string, string[]] {
  return compression === 'xz'
    ? ['xz', ['--decompress', '--stdout', '--threads=0', '--', input]]
    : ['zstd', ['--decompress', '--stdout', '--quiet', '--', input]]
}

/**
 * Decompresses INPUT into a new file OUTPUT, streaming. Throws ToolFailedError or zlib's error on
 * damaged data. `track` is told how to read the output's length so far, holes included (size-guard.ts).
 */
export async function decompress(compression: Compression, input: string, output: string, signal?: AbortSignal, track?: Track): Promise<void> {
  if (compression !== 'gzip') {
    const [tool, args] = decompressArgs(compression, input)
    return runToFile(tool, args, output, signal, track)
  }
  const handle = await open(output, 'wx', 0o600)
  try {
    const writer = new SparseWriter(handle)
    track?.(() => writer.written)
    await pipeline(
      createReadStream(input, {highWaterMark: 1024 * 1024}),
      // zlib reads concatenated gzip members as one stream, as gzip -d does.
      createGunzip({chunkSize: 1024 * 1024}),
      writer,
      {signal},
    )
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError()
    throw error
  } finally {
    await handle.close()
  }
}
