import {VmError} from '../../errors.js'
import type {Runner} from '../../exec/runner.js'
import {checkUntrustedQcow2, inspectUntrustedImage, type ImageCheck, type ImageInfo, type PlainFormat} from '../../disk/qemu-img.js'
import {parseQcow2Header, type Qcow2Header} from './qcow2-header.js'
import {imageRejected, indentDetail} from './refusals.js'

/** Smaller than any disk a system boots from: such a "raw image" is an error page or a stray file. */
export const MIN_RAW_BYTES = 1024 * 1024

/**
 * Why a qcow2 header makes the image unusable, before any QEMU tool opens it (opening would
 * follow a backing or data file to wherever it points). Pure.
 */
export function qcow2HeaderProblem(header: Qcow2Header): string | undefined {
  if (header.backingFile !== undefined) return `it is a qcow2 overlay with a backing file (${JSON.stringify(header.backingFile)}), which would make QEMU read another file on this host`
  if (header.dataFile !== undefined) return `it is a qcow2 whose data lives in an external data file (${JSON.stringify(header.dataFile)}), which QEMU would open on this host`
  if (header.encrypted) return 'it is an encrypted qcow2, which no guest can boot without its key'
  if (header.corrupt) return 'its qcow2 header is marked corrupt'
  if (header.unknownFeatures.length > 0) return `its qcow2 header uses features QEMU does not know (incompatible feature bits ${header.unknownFeatures.join(', ')})`
  if (header.virtualSize <= 0) return 'its qcow2 header gives a virtual size of 0'
  return undefined
}

/** Why what `qemu-img info -f FORMAT` printed makes the image unusable. Pure. */
export function imageInfoProblem(info: ImageInfo, format: PlainFormat): string | undefined {
  if (info.format !== format) return `qemu-img read it as ${info.format}, not ${format}`
  if (info.backingFile !== undefined) return `it has a backing file (${JSON.stringify(info.backingFile)}), which would make QEMU read another file on this host`
  if (info.dataFile !== undefined) return `it has an external data file (${JSON.stringify(info.dataFile)}), which QEMU would open on this host`
  if (info.encrypted) return 'it is encrypted, and no guest can boot it without its key'
  if (info.corrupt) return 'qemu-img reports its qcow2 metadata as corrupt'
  if (!(info.virtualSize > 0)) return 'its virtual size is 0'
  if (format === 'raw' && info.virtualSize < MIN_RAW_BYTES) {
    return `it is only ${info.virtualSize} bytes, too small to be a disk image (a raw image is the fallback for content vm does not recognise)`
  }
  return undefined
}

/** Why `qemu-img check` makes a qcow2 unusable (leaked clusters alone do not). Pure. */
export function imageCheckProblem(check: ImageCheck): string | undefined {
  if (check.corruptions > 0) return `qemu-img check finds ${check.corruptions} corruption${check.corruptions === 1 ? '' : 's'} in its qcow2 metadata`
  if (check.checkErrors > 0) return `qemu-img check cannot read all of its qcow2 metadata (${check.checkErrors} error${check.checkErrors === 1 ? '' : 's'})`
  return undefined
}

/**
 * Checks the image at PATH, which sniffing found to be FORMAT (HEAD: its first bytes): first its
 * qcow2 header, then what `qemu-img info` (and for a qcow2, `qemu-img check`) read under memory and
 * CPU limits. Returns the checked facts or throws BOX_IMAGE_REJECTED naming the box and the reason.
 */
export async function checkImage(
  path: string,
  format: PlainFormat,
  head: Buffer,
  deps: {readonly runner: Runner; readonly signal?: AbortSignal; readonly label: string},
): Promise<ImageInfo> {
  const {label} = deps
  if (format === 'qcow2') {
    let header: Qcow2Header
    try {
      header = parseQcow2Header(head)
    } catch (error) {
      throw imageRejected(label, `its qcow2 header cannot be read (${(error as Error).message})`)
    }
    const problem = qcow2HeaderProblem(header)
    if (problem) throw imageRejected(label, problem)
  }
  const info = await limited(label, `read it as a plain ${format} image`, () => inspectUntrustedImage(deps.runner, path, format, deps.signal))
  const problem = imageInfoProblem(info, format)
  if (problem) throw imageRejected(label, problem, indentDetail(`qemu-img info: format ${info.format}, virtual size ${info.virtualSize}`))
  if (format === 'qcow2') {
    const check = await limited(label, 'check its qcow2 metadata', () => checkUntrustedQcow2(deps.runner, path, deps.signal))
    const checkProblem = imageCheckProblem(check)
    if (checkProblem) throw imageRejected(label, checkProblem)
  }
  return info
}

/** Runs a limited qemu-img call; its failure (or hitting a limit) is a refusal of the image. */
async function limited<T>(label: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof VmError && error.code === 'TOOL_NOT_INSTALLED') {
      throw new VmError(`${error.message} vm runs qemu-img under it to limit what a hostile image can cost.`, {
        code: 'TOOL_NOT_INSTALLED',
        hint: 'sudo apt-get install util-linux',
      })
    }
    if (!(error instanceof VmError) || !['COMMAND_FAILED', 'COMMAND_TIMED_OUT'].includes(error.code)) throw error
    if (error.code === 'COMMAND_FAILED' && /failed to execute qemu-img/.test(error.detail ?? '')) {
      throw new VmError('qemu-img is not installed (or not on PATH).', {code: 'TOOL_NOT_INSTALLED', hint: 'sudo apt-get install qemu-utils'})
    }
    // qemu-img gave up on the file, or the limits stopped it: either way it is not a plain image.
    throw imageRejected(label, `qemu-img cannot ${what} within 1 GiB of memory and 30 s of CPU time`, error.detail)
  }
}
