import type {Runner} from '../exec/runner.js'

/** The facts about an image file that decide whether it may become a box. */
export type ImageInfo = {
  readonly format: string
  readonly virtualSize: number
  /** Set when the image points at another file; a box must never do that. */
  readonly backingFile?: string
  /** qcow2's external data file (QEMU ≥ 4.0); a box must never have one either. */
  readonly dataFile?: string
  /** qcow2's corrupt bit: QEMU found inconsistent metadata and refuses to write to it. Only set when true. */
  readonly corrupt?: true
  /** The image is encrypted (qcow2 AES/LUKS); no guest could boot it without a secret. Only set when true. */
  readonly encrypted?: true
}

/** `qemu-img info` argv. --force-share lets it read an image a running guest holds open. */
export function infoArgs(path: string): string[] {
  return ['info', '--output=json', '--force-share', path]
}

/** The image formats vm hands to qemu-img by name, so that QEMU never guesses (probes) one. */
export type PlainFormat = 'qcow2' | 'raw'

/**
 * The limits `qemu-img info` runs under when it reads a file nobody has vetted yet: a crafted
 * header can make it allocate or loop without end. The same limits OpenStack uses (nova, glance).
 */
export const INFO_LIMITS = {addressSpaceBytes: 1024 ** 3, cpuSeconds: 30} as const

/**
 * `prlimit` argv that runs `qemu-img info` on an untrusted image with memory and CPU limits, reading
 * it as FORMAT (never probing). PATH must be absolute: qemu-img would read "json:{...}" or "nbd:..."
 * as a protocol rather than a file name, and "-x" as an option.
 */
export function limitedInfoArgs(path: string, format: PlainFormat): string[] {
  return limitedQemuImg('info', format, path)
}

/**
 * `prlimit` argv that runs `qemu-img check` on an untrusted qcow2 under the same limits: it walks
 * all of the image's metadata (L1/L2 and refcount tables), which `info` does not read at all.
 */
export function limitedCheckArgs(path: string): string[] {
  return limitedQemuImg('check', 'qcow2', path)
}

/** `prlimit --as --cpu -- qemu-img SUBCOMMAND -f FORMAT --output=json --force-share PATH`. */
function limitedQemuImg(subcommand: 'info' | 'check', format: PlainFormat, path: string): string[] {
  requireAbsolute(path)
  const limits = [`--as=${INFO_LIMITS.addressSpaceBytes}`, `--cpu=${INFO_LIMITS.cpuSeconds}`]
  return [...limits, '--', 'qemu-img', subcommand, '-f', format, '--output=json', '--force-share', path]
}

/** What `qemu-img check` found. Leaked clusters waste space but harm nothing; the rest are damage. */
export type ImageCheck = {readonly corruptions: number; readonly leaks: number; readonly checkErrors: number}

/** Parses `qemu-img check --output=json` (QEMU 7.2): absent counters are 0. Pure. */
export function parseImageCheck(json: string): ImageCheck {
  const check = JSON.parse(json) as Record<string, unknown>
  const count = (key: string) => {
    const value = check[key] ?? 0
    if (typeof value !== 'number') throw new Error(`qemu-img check printed a non-numeric ${key}`)
    return value
  }
  if (typeof check['format'] !== 'string') throw new Error('qemu-img check printed no format')
  return {corruptions: count('corruptions'), leaks: count('leaks'), checkErrors: count('check-errors')}
}

/**
 * `qemu-img convert` argv from a raw image to a new qcow2, both formats named so that QEMU probes
 * nothing. Zero blocks stay unallocated in the qcow2 (qemu-img skips them by default).
 */
export function convertRawToQcow2Args(source: string, target: string): string[] {
  requireAbsolute(source)
  requireAbsolute(target)
  return ['convert', '-f', 'raw', '-O', 'qcow2', source, target]
}

/** Parses `qemu-img info --output=json` (QEMU 7.2). Pure. */
export function parseImageInfo(json: string): ImageInfo {
  const info = JSON.parse(json) as {
    format?: unknown
    'virtual-size'?: unknown
    'backing-filename'?: unknown
    'full-backing-filename'?: unknown
    encrypted?: unknown
    'format-specific'?: {data?: {'data-file'?: unknown; corrupt?: unknown; encrypt?: unknown}}
  }
  if (typeof info.format !== 'string' || typeof info['virtual-size'] !== 'number') {
    throw new Error('qemu-img info printed no format or virtual size')
  }
  const backing = info['full-backing-filename'] ?? info['backing-filename']
  const specific = info['format-specific']?.data
  const dataFile = specific?.['data-file']
  return {
    format: info.format,
    virtualSize: info['virtual-size'],
    ...(typeof backing === 'string' ? {backingFile: backing} : {}),
    ...(typeof dataFile === 'string' ? {dataFile} : {}),
    ...(specific?.corrupt === true ? {corrupt: true} : {}),
    ...(info.encrypted === true || specific?.encrypt !== undefined ? {encrypted: true} : {}),
  }
}

export async function inspectImage(runner: Runner, path: string): Promise<ImageInfo> {
  const {stdout} = await runner.run('qemu-img', infoArgs(path), {timeoutMs: 60_000})
  return parseImageInfo(stdout)
}

/**
 * Reads an untrusted image's facts as FORMAT under INFO_LIMITS. Throws what the runner throws
 * (CommandFailedError when qemu-img cannot read it or hits a limit); the caller words the refusal.
 */
export async function inspectUntrustedImage(
  runner: Runner,
  path: string,
  format: PlainFormat,
  signal?: AbortSignal,
): Promise<ImageInfo> {
  // The wall-clock timeout backs up the CPU limit: a process blocked on I/O uses no CPU time.
  const {stdout} = await runner.run('prlimit', limitedInfoArgs(path, format), {timeoutMs: 120_000, signal})
  return parseImageInfo(stdout)
}

/**
 * Checks an untrusted qcow2's metadata under INFO_LIMITS. Exit status 2 (corruptions) and 3 (leaks)
 * still print the JSON; 1 (the check itself failed) throws CommandFailedError.
 */
export async function checkUntrustedQcow2(runner: Runner, path: string, signal?: AbortSignal): Promise<ImageCheck> {
  const {stdout} = await runner.run('prlimit', limitedCheckArgs(path), {timeoutMs: 120_000, signal, okExitCodes: [0, 2, 3]})
  return parseImageCheck(stdout)
}

/** Converts a raw image into a new qcow2 at TARGET. Takes as long as the image is big: no timeout. */
export async function convertRawToQcow2(runner: Runner, source: string, target: string, signal?: AbortSignal): Promise<void> {
  await runner.run('qemu-img', convertRawToQcow2Args(source, target), {signal})
}

function requireAbsolute(path: string): void {
  // A programming error, not a user's: the callers build these paths themselves.
  if (!path.startsWith('/')) throw new Error(`qemu-img needs an absolute path, got ${JSON.stringify(path)}`)
}
