import {createReadStream} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'
import {pipeline} from 'node:stream/promises'

import {InterruptedError} from '../../errors.js'
import type {Track} from './size-guard.js'
import {SparseWriter} from './sparse-writer.js'
import {BLOCK, extensionContinues, paddedSize, parseHeaderBlock, TarFormatError, type HeaderBlock} from './tar-header.js'
import {isGnuSparseName, isRegular, normaliseName, parsePaxRecords, paxSparse, type TarMember} from './tar-members.js'
import {VAGRANT_METADATA, VAGRANT_METADATA_LIMIT} from './vagrant-box.js'

/*
 * Why tarballs are listed here and not with node-tar (measured with tar 7.5.23 and GNU tar 1.34):
 * node-tar cannot read GNU sparse members, and `tar -S` (old GNU format, the usual way to pack a
 * raw disk) writes them. It skips an old GNU sparse member ('S') silently ('ignoredEntry', no
 * warning) and, as soon as the sparse map needs extension blocks (more than 4 holes: every real
 * disk), it loses its place: it reads the map and data blocks as headers ("checksum failure"), and a
 * data block crafted to look like a header would show it members that GNU tar never sees. For
 * POSIX sparse members it hands out "GNUSparseFile.<pid>/disk.raw" (format 1.0 and 0.1) or the data
 * blocks alone under the right name (0.0). So one reader here decides both what the checks see and
 * which bytes are extracted: a walk over the headers that seeks past member data (the archive is a
 * plain file by now), then a plain byte-range copy of the chosen member, or GNU tar for a sparse one.
 */

/** More members than any disk image tarball has; a listing never grows past it. */
export const MAX_MEMBERS = 10_000
/** The largest pax or GNU long-name record vm reads (node-tar's limit too). */
const MAX_META_BYTES = 1024 * 1024
/** Old GNU sparse extension blocks per member: 21 holes each, far more than a real disk has. */
const MAX_EXTENSIONS = 100_000

export type ListedMember = TarMember & {
  /** Where the member's data starts in the archive. */
  readonly dataOffset: number
}

export type TarListing = {
  readonly members: readonly ListedMember[]
  /** metadata.json's text when the archive has one at the top that is small enough. */
  readonly metadataJson?: string
  readonly tooManyMembers: boolean
}

export {TarFormatError}

/**
 * Lists every member of the uncompressed tarball at PATH by reading its headers (and seeking over
 * the data). Throws TarFormatError when the archive is damaged or truncated.
 */
export async function listTarball(path: string, signal?: AbortSignal): Promise<TarListing> {
  const handle = await open(path, 'r')
  try {
    const {size: archiveSize} = await handle.stat()
    const read = async (position: number, length: number) => {
      if (position + length > archiveSize) throw new TarFormatError("the archive is truncated: a member's data runs past its end")
      const buffer = Buffer.alloc(length)
      const {bytesRead} = await handle.read(buffer, 0, length, position)
      return buffer.subarray(0, bytesRead)
    }
    const members: ListedMember[] = []
    let metadataJson: string | undefined
    let position = 0
    let pending = new Map<string, string>()
    for (;;) {
      if (signal?.aborted) throw new InterruptedError()
      // The end: two zero blocks, one, or (leniently, as GNU tar) none at all at a block boundary.
      if (position >= archiveSize) break
      const header = parseHeaderBlock(await read(position, Math.min(BLOCK, archiveSize - position)))
      if (header === undefined) break
      position += BLOCK
      const meta = metaKind(header.typeflag)
      if (meta) {
        if (header.size > MAX_META_BYTES) throw new TarFormatError(`an extended header of ${header.size} bytes is larger than vm reads`)
        const data = await read(position, header.size)
        position += paddedSize(header.size)
        if (meta === 'global') {
          const records = parsePaxRecords(data)
          const overrides = ['path', 'linkpath', 'size'].filter((key) => records.has(key))
          // Legal, but no tool that packs disk images writes one, and tars disagree on applying it.
          if (overrides.length > 0) throw new TarFormatError(`a global pax header sets ${overrides.join(', ')} for every member`)
        } else if (meta === 'pax') {
          for (const [key, value] of parsePaxRecords(data)) pending.set(key, value)
        } else {
          pending.set(meta, nulTerminated(data))
        }
        continue
      }
      if (members.length >= MAX_MEMBERS) return {members, tooManyMembers: true}
      let extensions = 0
      if (header.isExtended) {
        let more = true
        while (more) {
          if (++extensions > MAX_EXTENSIONS) throw new TarFormatError('a sparse member has an endless sparse map')
          more = extensionContinues(await read(position, BLOCK))
          position += BLOCK
        }
      }
      const member = toMember(header, pending, members.length, position)
      pending = new Map()
      if (position + member.size > archiveSize) throw new TarFormatError(`the archive is truncated in member ${JSON.stringify(member.path)}`)
      members.push(member)
      if (isMetadata(member)) metadataJson = (await read(position, member.size)).toString('utf8')
      position += paddedSize(member.size)
    }
    return {members, ...(metadataJson === undefined ? {} : {metadataJson}), tooManyMembers: false}
  } finally {
    await handle.close()
  }
}

/**
 * Copies MEMBER's bytes out of the archive into the new file OUTPUT, leaving zero blocks as holes.
 * Only for members stored whole (not sparse).
 */
export async function extractMember(archive: string, member: ListedMember, output: string, signal?: AbortSignal, track?: Track): Promise<void> {
  if (member.sparse) throw new Error('a sparse member cannot be copied byte for byte')
  const handle: FileHandle = await open(output, 'wx', 0o600)
  try {
    const writer = new SparseWriter(handle)
    track?.(() => writer.written)
    const source = member.size === 0 ? [] : createReadStream(archive, {start: member.dataOffset, end: member.dataOffset + member.size - 1, highWaterMark: 1024 * 1024})
    await pipeline(source, writer, {signal})
    if (writer.written !== member.size) throw new TarFormatError(`member ${JSON.stringify(member.path)} came out ${writer.written} bytes long, not ${member.size}`)
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError()
    throw error
  } finally {
    await handle.close()
  }
}

type MetaKind = 'pax' | 'global' | 'path' | 'linkpath'

/** Headers that describe the next member rather than being one. */
function metaKind(typeflag: string): MetaKind | undefined {
  switch (typeflag) {
    case 'x':
    case 'X': // Solaris' name for the same thing
      return 'pax'
    case 'g':
      return 'global'
    case 'L':
      return 'path'
    case 'K':
      return 'linkpath'
    default:
      return undefined
  }
}

/** Type names (node-tar's vocabulary, which the checks and messages use). */
const TYPE_NAMES: Record<string, string> = {
  '0': 'File',
  '7': 'ContiguousFile',
  '1': 'Link',
  '2': 'SymbolicLink',
  '3': 'CharacterDevice',
  '4': 'BlockDevice',
  '5': 'Directory',
  '6': 'FIFO',
  S: 'SparseFile',
  D: 'GNUDumpDir',
  V: 'TapeVolumeHeader',
  M: 'ContinuationFile',
  N: 'OldGnuLongPath',
  A: 'SolarisACL',
  I: 'Inode',
}

function toMember(header: HeaderBlock, pax: Map<string, string>, index: number, dataOffset: number): ListedMember {
  const path = pax.get('path') ?? header.name
  const sizeRecord = pax.get('size')
  const size = sizeRecord === undefined ? header.size : Number(sizeRecord)
  if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError(`member ${JSON.stringify(path)} has a malformed pax size`)
  let type = TYPE_NAMES[header.typeflag] ?? `Unknown (${JSON.stringify(header.typeflag)})`
  // v7 tar had no directory type: a file entry whose name ends in "/" is a folder.
  if (type === 'File' && path.endsWith('/')) type = 'Directory'
  const linkpath = pax.get('linkpath') ?? header.linkname
  const sparsePax = paxSparse(pax)
  const realSize = sparsePax?.realSize ?? header.realSize
  return {
    index,
    path,
    realPath: sparsePax?.name ?? path,
    type,
    size,
    ...(linkpath && (type === 'Link' || type === 'SymbolicLink') ? {linkpath} : {}),
    sparse: type === 'SparseFile' || sparsePax !== undefined || isGnuSparseName(path),
    ...(realSize === undefined ? {} : {realSize}),
    dataOffset,
  }
}

function isMetadata(member: TarMember): boolean {
  return isRegular(member) && !member.sparse && normaliseName(member.path) === VAGRANT_METADATA && member.size <= VAGRANT_METADATA_LIMIT
}

function nulTerminated(data: Buffer): string {
  const end = data.indexOf(0)
  return data.subarray(0, end < 0 ? data.length : end).toString('utf8')
}
