/**
 * What a tarball's members are and which of them vm refuses. Pure: tarball.ts lists the members;
 * the checks run on every member before a single byte is extracted.
 */

/** One member as listed, in archive order. */
export type TarMember = {
  readonly index: number
  /** The name in the archive (after pax and GNU long names). */
  readonly path: string
  /**
   * The name GNU tar gives it, which is what gets extracted: a POSIX sparse member is stored as
   * "GNUSparseFile.<pid>/disk.raw" while the real name sits in the pax record GNU.sparse.name.
   */
  readonly realPath: string
  /** File, Directory, SymbolicLink, Link, SparseFile, ... (tarball.ts names them) */
  readonly type: string
  /** Bytes stored in the archive (for a sparse member, only its data blocks). */
  readonly size: number
  readonly linkpath?: string
  /** Stored as a GNU sparse file: only GNU tar expands it (see tarball.ts). */
  readonly sparse: boolean
  /** A sparse member's full length, as its header or pax records state it. */
  readonly realSize?: number
}

const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile', 'SparseFile'])

export const isRegular = (member: TarMember) => REGULAR.has(member.type)

const TYPE_WORDS: Record<string, string> = {
  Link: 'a hard link',
  SymbolicLink: 'a symbolic link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO (named pipe)',
  GNUDumpDir: 'a GNU dump directory',
  TapeVolumeHeader: 'a tape volume label',
  ContinuationFile: 'a multi-volume continuation',
  SolarisACL: 'a Solaris ACL record',
  Inode: 'an inode-only record',
  OldGnuLongPath: 'an old GNU long-name record',
}

/** Why MEMBER makes the whole archive unacceptable, or undefined when it is a plain file or folder. */
export function memberProblem(member: TarMember): string | undefined {
  for (const name of new Set([member.path, member.realPath])) {
    const problem = pathProblem(name)
    if (problem) return `member ${quote(name)} ${problem}`
  }
  if (!isRegular(member) && member.type !== 'Directory') {
    const what = TYPE_WORDS[member.type] ?? `of tar type ${member.type}`
    const target = member.linkpath === undefined ? '' : ` (to ${quote(member.linkpath)})`
    return `member ${quote(member.path)} is ${what}${target}; only regular files and folders are allowed`
  }
  if (member.sparse && isGnuSparseName(member.realPath)) {
    return `member ${quote(member.path)} is a sparse file whose real name is missing`
  }
  return undefined
}

/** Why a member name could write outside the folder it is extracted into. */
export function pathProblem(name: string): string | undefined {
  if (name === '') return 'has an empty name'
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return 'has an absolute path'
  if (name.split(/[/\\]/).includes('..')) return 'has a ".." component'
  return undefined
}

/** "./a//b/" → "a/b": the name compared against the allowlists. */
export function normaliseName(name: string): string {
  return name
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/')
}

/** GNU tar's POSIX sparse formats 0.1 and 1.0 store a member under "<dir>/GNUSparseFile.<pid>/<name>". */
export function isGnuSparseName(name: string): boolean {
  return name.split('/').some((part) => /^GNUSparseFile\.\d+$/.test(part))
}

/** The pax records (key=value) of one extended header, in order; later duplicates win. */
export function parsePaxRecords(data: Buffer | string): Map<string, string> {
  const records = new Map<string, string>()
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  let offset = 0
  // Each record is "<length> <key>=<value>\n", LENGTH counting the whole record in bytes.
  while (offset < bytes.length) {
    const space = bytes.indexOf(0x20, offset)
    if (space < 0) break
    const length = Number(bytes.subarray(offset, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= space - offset + 1 || offset + length > bytes.length) break
    const record = bytes.subarray(space + 1, offset + length - 1).toString('utf8')
    const equals = record.indexOf('=')
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1))
    offset += length
  }
  return records
}

/** What the GNU.sparse.* pax records say about the member that follows them. */
export type PaxSparse = {readonly name?: string; readonly realSize?: number}

/** undefined when the records describe no sparse member. */
export function paxSparse(records: Map<string, string>): PaxSparse | undefined {
  if (![...records.keys()].some((key) => key.startsWith('GNU.sparse.'))) return undefined
  // Format 1.0 and 0.1 name the member in GNU.sparse.name; 1.0 states the length in realsize, 0.x in size.
  const size = records.get('GNU.sparse.realsize') ?? records.get('GNU.sparse.size')
  const realSize = size === undefined ? undefined : Number(size)
  const name = records.get('GNU.sparse.name')
  return {
    ...(name === undefined ? {} : {name}),
    ...(realSize !== undefined && Number.isSafeInteger(realSize) ? {realSize} : {}),
  }
}

export function quote(name: string): string {
  return JSON.stringify(name)
}
