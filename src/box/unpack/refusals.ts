import {VmError} from '../../errors.js'

/**
 * The errors unpacking raises. A refusal names the box and the reason in words a person can act on;
 * the hint says what to use instead.
 */

/** The archive holds something vm will not unpack (an unsafe member, the wrong kind of box). */
export function archiveRejected(label: string, reason: string, detail?: string): VmError {
  return new VmError(`Box ${label} was refused: ${reason}.`, {
    code: 'BOX_ARCHIVE_REJECTED',
    detail,
    hint:
      'A box archive may hold only regular files and folders, with one disk image (or a Vagrant libvirt box). ' +
      "Use the distribution's plain qcow2 cloud image, or repack the archive.",
  })
}

/** The disk image is not a self-contained qcow2 or raw image, or QEMU cannot read it safely. */
export function imageRejected(label: string, reason: string, detail?: string): VmError {
  return new VmError(`Box ${label} was refused: ${reason}.`, {
    code: 'BOX_IMAGE_REJECTED',
    detail,
    hint: 'Use a self-contained qcow2 or raw cloud image (no backing file, no external data file).',
  })
}

/** A decompressor or tar failed on a file whose digest matched: the published file itself is damaged, or the disk is full. */
export function unpackFailed(label: string, what: string, detail?: string, cause?: unknown): VmError {
  const noSpace = /no space left on device|ENOSPC/i.test(`${detail ?? ''} ${String((cause as {code?: unknown})?.code ?? '')}`)
  return new VmError(
    noSpace ? `Box ${label} could not be unpacked: the disk ran out of space (${what}).` : `Box ${label} could not be unpacked: ${what}.`,
    {
      code: noSpace ? 'BOX_UNPACK_NO_SPACE' : 'BOX_UNPACK_FAILED',
      detail,
      cause,
      hint: noSpace
        ? "Free some space in the box cache's file system (`vm box prune` removes unused boxes) and try again."
        : 'The file matched its published checksum, so the published file itself is damaged or in a form vm does not read; report it to its publisher.',
    },
  )
}

/** Indents a tool's output for VmError.detail, the way the runner does. */
export function indentDetail(text: string): string | undefined {
  const trimmed = text.trim()
  return trimmed ? trimmed.replace(/^(?=.)/gm, '  ') : undefined
}
