import {spawn} from 'node:child_process'
import {open} from 'node:fs/promises'

import {InterruptedError} from '../../errors.js'
import {ToolNotInstalledError} from '../../exec/runner.js'

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
 * Runs FILE with ARGS (argv, no shell) with its stdout going straight into a new file at OUTPUT:
 * the child writes to the file descriptor itself, so gigabytes never pass through this process.
 * The Runner cannot do this (it captures stdout as a string), which is why this one spawns directly.
 * OUTPUT must not exist ('wx': never truncate or follow something already there).
 */
export async function runToFile(file: string, args: readonly string[], output: string, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new InterruptedError()
  const handle = await open(output, 'wx', 0o600)
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(file, args, {
        stdio: ['ignore', handle.fd, 'pipe'],
        env: {...process.env, LC_ALL: 'C'},
      })
      let stderr = ''
      let interrupted = false
      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_LIMIT)
      })
      const onAbort = () => {
        interrupted = true
        child.kill('SIGTERM')
      }
      signal?.addEventListener('abort', onAbort, {once: true})
      child.on('error', (error: NodeJS.ErrnoException) => {
        signal?.removeEventListener('abort', onAbort)
        reject(error.code === 'ENOENT' ? new ToolNotInstalledError(file) : error)
      })
      child.on('close', (code) => {
        signal?.removeEventListener('abort', onAbort)
        if (interrupted) reject(new InterruptedError())
        else if (code === 0) resolve()
        else reject(new ToolFailedError(file, code, stderr))
      })
    })
  } finally {
    await handle.close()
  }
}
