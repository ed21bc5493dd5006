import type {Runner} from '../exec/runner.js'

/** The facts about an image file that decide whether it may become a box. */
export type ImageInfo = {
  readonly format: string
  readonly virtualSize: number
  /** Set when the image points at another file; a box must never do that. */
  readonly backingFile?: string
  /** qcow2's external data file (QEMU ≥ 4.0); a box must never have one either. */
  readonly dataFile?: string
}

/** `qemu-img info` argv. --force-share lets it read an image a running guest holds open. */
export function infoArgs(path: string): string[] {
  return ['info', '--output=json', '--force-share', path]
}

/** Parses `qemu-img info --output=json` (QEMU 7.2). Pure. */
export function parseImageInfo(json: string): ImageInfo {
  const info = JSON.parse(json) as {
    format?: unknown
    'virtual-size'?: unknown
    'backing-filename'?: unknown
    'full-backing-filename'?: unknown
    'format-specific'?: {data?: {'data-file'?: unknown}}
  }
  if (typeof info.format !== 'string' || typeof info['virtual-size'] !== 'number') {
    throw new Error('qemu-img info printed no format or virtual size')
  }
  const backing = info['full-backing-filename'] ?? info['backing-filename']
  const dataFile = info['format-specific']?.data?.['data-file']
  return {
    format: info.format,
    virtualSize: info['virtual-size'],
    ...(typeof backing === 'string' ? {backingFile: backing} : {}),
    ...(typeof dataFile === 'string' ? {dataFile} : {}),
  }
}

export async function inspectImage(runner: Runner, path: string): Promise<ImageInfo> {
  const {stdout} = await runner.run('qemu-img', infoArgs(path), {timeoutMs: 60_000})
  return parseImageInfo(stdout)
}
