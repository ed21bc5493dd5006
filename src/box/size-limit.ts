import {VmError} from '../errors.js'
import {formatSize, parseSize, sizeHint} from '../vmfile/size.js'
import {formatBytes} from './progress.js'

/**
 * How large a box may grow on its way into the cache. Pure.
 *
 * A download and every layer unpacked from it (xz, gzip, zstd, a tarball's member, the qcow2 made
 * from a raw disk) stop at `maxBytes` (64 GiB, or VM_BOX_MAX_BYTES): a 150 KB xz can hold 1 TiB of
 * zeros, and no cloud image is anywhere near that. They also stop before the cache's file system
 * has less than `reserveBytes` (2 GiB) free, so that a box never fills the disk the host and its
 * other users live on. A size known in advance (Content-Length, a local file, a tar header) is
 * checked before the first byte is written.
 */

export type SizeLimits = {
  /** The largest any one file of a box (the download, each unpacked layer) may be. */
  readonly maxBytes: number
  /** What the box cache's file system keeps free. */
  readonly reserveBytes: number
}

export const DEFAULT_MAX_BYTES = 64 * 1024 ** 3
export const FREE_RESERVE_BYTES = 2 * 1024 ** 3

/** The limits in force: VM_BOX_MAX_BYTES (bytes, or a size such as 64MiB or 100GiB) or 64 GiB. Throws BOX_LIMIT_INVALID (exit 2). */
export function sizeLimits(env: Readonly<Record<string, string | undefined>> = process.env): SizeLimits {
  return {maxBytes: parseMaxBytes(env.VM_BOX_MAX_BYTES), reserveBytes: FREE_RESERVE_BYTES}
}

export function parseMaxBytes(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_MAX_BYTES
  const bytes = /^\s*\d+\s*$/.test(value) ? Number(value) : parseSize(value)
  if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes <= 0) {
    const hint = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? undefined : sizeHint(value)
    throw new VmError(`VM_BOX_MAX_BYTES=${JSON.stringify(value)} is not a size.`, {
      code: 'BOX_LIMIT_INVALID',
      exitCode: 2,
      hint: `Give a number of bytes or a size such as 64MiB or 100GiB${hint ? ` (${hint})` : ''}, or unset it for the default of ${formatSize(DEFAULT_MAX_BYTES)}.`,
    })
  }
  return bytes
}

/** What stops a write: the size limit, or the space the file system must keep free. */
export type SizeProblem = {readonly kind: 'too-large'} | {readonly kind: 'no-space'; readonly freeBytes: number}

/**
 * Before writing: why a file of `total` bytes, of which `have` are already there, cannot be
 * written with `freeBytes` free. Undefined when it fits.
 */
export function sizeProblem(total: number, have: number, freeBytes: number, limits: SizeLimits): SizeProblem | undefined {
  if (total > limits.maxBytes) return {kind: 'too-large'}
  if (freeBytes - limits.reserveBytes < total - have) return {kind: 'no-space', freeBytes}
  return undefined
}

/** The size a file of `have` bytes may grow to with `freeBytes` free: the lower of the limit and what keeps the reserve. */
export function allowedSize(have: number, freeBytes: number, limits: SizeLimits): number {
  return Math.max(have, Math.min(limits.maxBytes, have + freeBytes - limits.reserveBytes))
}

/** While writing: which limit a file of `size` bytes crossed (too-large first), with `freeBytes` free now. */
export function crossed(size: number, freeBytes: number, limits: SizeLimits): SizeProblem | undefined {
  if (size > limits.maxBytes) return {kind: 'too-large'}
  if (freeBytes < limits.reserveBytes) return {kind: 'no-space', freeBytes}
  return undefined
}

/**
 * The error for a problem. `subject` names what was stopped, as a sentence starts: "The download
 * of https://…", "Unpacking box debian-12 (layer 1, xz)"; `dir` is where space is missing.
 */
export function sizeError(problem: SizeProblem, subject: string, dir: string, limits: SizeLimits): VmError {
  if (problem.kind === 'too-large') {
    return new VmError(`${subject} was stopped at the size limit of ${formatBytes(limits.maxBytes)}.`, {
      code: 'BOX_TOO_LARGE',
      detail: 'A small compressed file can unpack to terabytes: every download and every unpacked layer stops at the limit, and what it wrote is removed.',
      hint: 'If the image really is that large, raise the limit with VM_BOX_MAX_BYTES (e.g. VM_BOX_MAX_BYTES=128GiB); otherwise do not use this box.',
    })
  }
  return new VmError(
    `${subject} was stopped: it would leave less than ${formatBytes(limits.reserveBytes)} free in ${dir} (${formatBytes(problem.freeBytes)} free).`,
    {
      code: 'BOX_NO_SPACE',
      hint: 'Free some space there (`vm box prune` removes boxes no machine uses), then run the command again.',
    },
  )
}
