import {chmod, lstat, mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {VmError} from '../../errors.js'
import type {Runner} from '../../exec/runner.js'
import {freeBytes} from '../free-space.js'
import {sizeError, sizeLimits, sizeProblem, type SizeLimits} from '../size-limit.js'
import {chooseDisk} from './choose-disk.js'
import {extractWithGnuTar} from './gnu-tar.js'
import {archiveRejected, unpackFailed} from './refusals.js'
import {guardOutput} from './size-guard.js'
import {memberProblem, normaliseName, quote} from './tar-members.js'
import {extractMember, listTarball, MAX_MEMBERS, TarFormatError, type ListedMember} from './tarball.js'

export type UnpackedMember = {
  /** The extracted disk, inside workDir. */
  readonly path: string
  /** Its name in the archive, e.g. "disk.raw" or "box.img". */
  readonly name: string
  readonly vagrant: boolean
  /** True when GNU tar extracted it (a sparse member). */
  readonly viaGnuTar: boolean
}

export type TarballDeps = {readonly runner: Runner; readonly signal?: AbortSignal; readonly label: string; readonly limits?: SizeLimits}

/**
 * Checks every member of the uncompressed tarball ARCHIVE, then extracts its one disk into workDir.
 * Refuses the whole archive (BOX_ARCHIVE_REJECTED) for any unsafe member, before extracting anything,
 * and the disk (BOX_TOO_LARGE, BOX_NO_SPACE) when its header says it does not fit the size limits.
 */
export async function unpackTarball(archive: string, workDir: string, given: TarballDeps): Promise<UnpackedMember> {
  const deps = {...given, limits: given.limits ?? sizeLimits()}
  const {label, signal} = deps
  const listing = await listTarball(archive, signal).catch((error: unknown) => {
    throw error instanceof TarFormatError ? archiveRejected(label, `the tar archive is damaged or malformed: ${error.message}`) : error
  })
  if (listing.tooManyMembers) throw archiveRejected(label, `the archive has more than ${MAX_MEMBERS} members`)
  const problems = listing.members.map(memberProblem).filter((p): p is string => p !== undefined)
  if (problems.length > 0) {
    const more = problems.slice(1, 11).map((p) => `  also: ${p}`)
    throw archiveRejected(label, problems[0]!, more.length > 0 ? more.join('\n') : undefined)
  }
  const choice = chooseDisk(listing.members, listing.metadataJson)
  if ('problem' in choice) throw archiveRejected(label, choice.problem)
  const {member, vagrant} = choice
  const name = normaliseName(member.realPath)
  const subject = `Unpacking box ${label} (member ${quote(name)} of the tarball)`
  // The header gives the disk's length: refuse before writing a byte (a sparse member's holes count, as a file's length does).
  const problem = sizeProblem(member.realSize ?? member.size, 0, await freeBytes(workDir), deps.limits)
  if (problem) throw sizeError(problem, subject, workDir, deps.limits)
  const guard = {limits: deps.limits, subject, signal}
  if (member.sparse) return {path: await extractSparse(archive, member, workDir, deps, guard), name, vagrant, viaGnuTar: true}
  const path = join(workDir, 'member')
  await guardOutput(path, guard, (guarded, track) => extractMember(archive, member, path, guarded, track)).catch((error: unknown) => {
    throw error instanceof VmError ? error : unpackFailed(label, `copying member ${quote(name)} out of the archive failed`, String(error), error)
  })
  return {path, name, vagrant, viaGnuTar: false}
}

/** Only GNU tar expands GNU sparse members, and it restores their holes as holes. */
async function extractSparse(
  archive: string,
  member: ListedMember,
  workDir: string,
  deps: TarballDeps,
  guard: Parameters<typeof guardOutput>[1],
): Promise<string> {
  const dest = join(workDir, 'gnu-tar')
  await mkdir(dest)
  try {
    const output = join(dest, normaliseName(member.realPath))
    await guardOutput(output, guard, (guarded) => extractWithGnuTar(deps.runner, archive, member.realPath, dest, guarded))
  } catch (error) {
    if (error instanceof VmError && error.code !== 'COMMAND_FAILED') throw error
    throw unpackFailed(deps.label, `GNU tar could not extract the sparse member ${quote(member.realPath)}`, (error as VmError).detail, error)
  }
  // GNU tar read the archive on its own: make sure it produced what the listing promised, a plain
  // file of the stated length, and not a link (a hard link would share an inode with a host file).
  const path = join(dest, normaliseName(member.realPath))
  const stats = await lstat(path).catch(() => undefined)
  if (!stats?.isFile() || stats.nlink !== 1) {
    throw archiveRejected(deps.label, `GNU tar did not extract member ${quote(member.realPath)} as a plain file`)
  }
  if (member.realSize !== undefined && stats.size !== member.realSize) {
    throw archiveRejected(deps.label, `member ${quote(member.realPath)} came out ${stats.size} bytes long, its header says ${member.realSize}`)
  }
  // The archive's mode bits could leave it unreadable to us (0000): it is our file now.
  await chmod(path, 0o600)
  return path
}
