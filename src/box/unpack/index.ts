import {rm} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {InterruptedError, VmError} from '../../errors.js'
import type {Runner} from '../../exec/runner.js'
import {convertRawToQcow2} from '../../disk/qemu-img.js'
import {decompress} from './decompress.js'
import {checkImage} from './image-check.js'
import {readEnds} from './read-ends.js'
import {archiveRejected, imageRejected, indentDetail, unpackFailed} from './refusals.js'
import {sniff, type Compression} from './sniff.js'
import {sizeLimits, type SizeLimits} from '../size-limit.js'
import {guardOutput, type Track} from './size-guard.js'
import {renderSourceFormat} from './source-format.js'
import {ToolFailedError} from './spawn-to-file.js'
import {unpackTarball} from './unpack-tarball.js'

export type UnpackedImage = {
  /** A plain qcow2 inside workDir (or `input` itself when it already was a safe qcow2). */
  readonly path: string
  readonly virtualSize: number
  /** What the source was, for `vm box list` and messages, e.g. "qcow2", "raw.xz", "tar.xz:disk.raw", "vagrant-box(tar.gz):box.img". */
  readonly sourceFormat: string
}

export type UnpackDeps = {
  readonly runner: Runner
  readonly signal?: AbortSignal
  readonly label: string
  /** What each layer may grow to (size-limit.ts); by default 64 GiB or VM_BOX_MAX_BYTES, 2 GiB kept free. */
  readonly limits?: SizeLimits
}

/** Compression layers one download may stack (e.g. a .tar.xz whose disk is .gz): more is a bomb or a joke. */
const MAX_LAYERS = 4

/**
 * Turns a downloaded, digest-verified file into one checked qcow2. Detects by content: xz, gzip and
 * zstd are decompressed (layers may stack), a tarball is checked member by member and its one disk
 * extracted (a Vagrant .box must be a libvirt box), and the disk must be a self-contained qcow2 or a
 * raw image, which is converted to qcow2. Everything is written inside workDir (streaming, never
 * held in memory); input is only read. Errors: BOX_ARCHIVE_REJECTED, BOX_IMAGE_REJECTED,
 * BOX_UNPACK_FAILED / BOX_UNPACK_NO_SPACE, BOX_TOO_LARGE / BOX_NO_SPACE (a layer grew past the
 * size limit, or the disk's reserve), INTERRUPTED (files left in workDir are the caller's).
 */
export async function unpackImage(input: string, workDir: string, given: UnpackDeps): Promise<UnpackedImage> {
  const deps = {...given, limits: given.limits ?? sizeLimits()}
  const {label, signal} = deps
  const dir = resolve(workDir)
  let current = resolve(input)
  /** Compressions seen since the last container, outermost first. */
  let compressions: Compression[] = []
  let container: string | undefined
  let layers = 0
  /** Files this call made in workDir that are no longer needed; removed early to halve the peak disk use. */
  const spent = async (path: string) => {
    if (path !== resolve(input)) await rm(path, {force: true})
  }

  for (;;) {
    if (signal?.aborted) throw new InterruptedError()
    const {head, tail} = await readEnds(current)
    const content = sniff(head, tail)
    const described = (format: string) => renderSourceFormat(container, format, compressions)

    switch (content.type) {
      case 'compressed': {
        if (++layers > MAX_LAYERS) throw imageRejected(label, `it is compressed more than ${MAX_LAYERS} times over`)
        const output = join(dir, `layer-${layers}`)
        const subject = `Unpacking box ${label} (layer ${layers}, ${content.compression})`
        await guardOutput(output, {limits: deps.limits, subject, signal}, (guarded, track) =>
          decompressOrExplain(content.compression, current, output, {...deps, signal: guarded}, track),
        )
        await spent(current)
        compressions.push(content.compression)
        current = output
        continue
      }
      case 'tar': {
        if (container !== undefined) throw archiveRejected(label, `it is a tarball inside a tarball (${container})`)
        const member = await unpackTarball(current, dir, deps)
        const tar = described('tar')
        container = member.vagrant ? `vagrant-box(${tar}):${member.name}` : `${tar}:${member.name}`
        await spent(current)
        compressions = []
        current = member.path
        continue
      }
      case 'foreign':
        throw imageRejected(label, `it is ${content.name}; vm needs a qcow2 or raw disk image`)
      case 'qcow2': {
        const info = await checkImage(current, 'qcow2', head, deps)
        return {path: current, virtualSize: info.virtualSize, sourceFormat: described('qcow2')}
      }
      case 'raw': {
        const info = await checkImage(current, 'raw', head, deps)
        const output = join(dir, 'image.qcow2')
        try {
          const subject = `Converting box ${label} to qcow2`
          await guardOutput(output, {limits: deps.limits, subject, signal}, (guarded) => convertRawToQcow2(deps.runner, current, output, guarded))
        } catch (error) {
          if (error instanceof VmError && error.code === 'COMMAND_FAILED') {
            throw unpackFailed(label, 'qemu-img could not convert the raw image to qcow2', error.detail, error)
          }
          throw error
        }
        await spent(current)
        return {path: output, virtualSize: info.virtualSize, sourceFormat: described('raw')}
      }
    }
  }
}

async function decompressOrExplain(compression: Compression, input: string, output: string, deps: UnpackDeps, track: Track): Promise<void> {
  try {
    await decompress(compression, input, output, deps.signal, track)
  } catch (error) {
    if (error instanceof VmError && error.code === 'TOOL_NOT_INSTALLED') {
      const pkg = compression === 'xz' ? 'xz-utils' : compression
      throw new VmError(`${compression} is not installed (or not on PATH); box ${deps.label} is compressed with it.`, {
        code: 'TOOL_NOT_INSTALLED',
        hint: `sudo apt-get install ${pkg}`,
      })
    }
    if (error instanceof VmError) throw error
    const what = `its ${compression} data is damaged`
    if (error instanceof ToolFailedError) throw unpackFailed(deps.label, what, indentDetail(error.stderr), error)
    throw unpackFailed(deps.label, what, indentDetail((error as Error).message), error)
  }
}
