import {spawn} from 'node:child_process'
import {open} from 'node:fs/promises'
import {pipeline} from 'node:stream/promises'

import {InterruptedError} from '../../errors.js'
import {CHILD_CWD, ToolNotInstalledError} from '../../exec/runner.js'
import type {Track} from './size-guard.js'
import {SparseWriter} from './sparse-writer.js'

/** Why a tool writing to a file failed: its exit status and the end of its stderr. */
export class ToolFailedError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${tool} exited with status ${exitCode ?? 'unknown'}`)
  }
}

const STDERR_LIMIT = 16 * 1024

/**
 * Runs FILE with ARGS (argv, no shell) with its stdout going into a new file at OUTPUT, streaming:
 * the bytes pass through this process into a SparseWriter, which leaves runs of zeros as holes (as
 * `xz` and `zstd --sparse` would) and counts every byte, holes included, so that the size guard
 * (size-guard.ts, told through `track`) can stop a decompression bomb of zeros as it grows; a tool
 * writing to the file itself would seek over the zeros without a trace until its very end. The
 * Runner cannot do this (it captures stdout as a string), which is why this one spawns directly.
 * OUTPUT must not exist ('wx': never truncate or follow something already there).
 */
export async function runToFile(file: string, args: readonly string[], output: string, signal?: AbortSignal, track?: Track): Promise<void> {
  if (signal?.aborted) throw new InterruptedError()
  const handle = await open(output, 'wx', 0o600)
  try {
    const writer = new SparseWriter(handle)
    track?.(() => writer.written)
    await new Promise<void>((resolve, reject) => {
      const child = spawn(file, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {...process.env, LC_ALL: 'C'},
        cwd: CHILD_CWD,
      })
      let stderr = ''
      let interrupted = false
      let settled = false
      const onAbort = () => {
        interrupted = true
        child.kill('SIGTERM')
      }
      signal?.addEventListener('abort', onAbort, {once: true})
      // Resolves (never rejects) once the writer is done: to the copy's error, if any.
      const copied = pipeline(child.stdout!, writer).then(
        () => undefined,
        (error: unknown) => {
          child.kill('SIGKILL') // the file cannot take more: the tool's further output has nowhere to go
          return error
        },
      )
      const finish = (error?: unknown) => {
        if (settled) return
        settled = true
        signal?.removeEventListener('abort', onAbort)
        if (error === undefined) resolve()
        else reject(error)
      }
      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_LIMIT)
      })
      child.on('error', (error: NodeJS.ErrnoException) => {
        child.stdout?.destroy()
        void copied.then(() => finish(error.code === 'ENOENT' ? new ToolNotInstalledError(file) : error))
      })
      child.on('close', (code) => {
        void copied.then((copyError) => {
          if (interrupted) finish(new InterruptedError())
          else if (copyError) finish(copyError)
          else if (code === 0) finish()
          else finish(new ToolFailedError(file, code, stderr))
        })
      })
    })
  } finally {
    await handle.close()
  }
}
