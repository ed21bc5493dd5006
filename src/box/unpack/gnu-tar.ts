import type {Runner} from '../../exec/runner.js'

/**
 * argv for GNU tar extracting one member, named exactly as the archive spells it, into DEST. Used
 * only for GNU sparse members (which only GNU tar expands), and only after every member of the
 * archive passed the checks in tar-members.ts; the options close what is left:
 *   --force-local         a "host:file" archive name is a file, never a remote shell
 *   --no-same-owner, --no-same-permissions, --no-acls, --no-xattrs, --no-selinux
 *                         the file is ours, with our umask, whatever the archive says
 *   --no-recursion        a name that is a folder extracts the folder, not what is inside it
 *   --no-wildcards, --no-unquote   the name is matched literally, backslashes included
 *   --occurrence=1        stop reading at the member (the checks refused duplicates)
 */
export function gnuTarExtractArgs(archive: string, member: string, dest: string): string[] {
  return [
    '--extract',
    `--file=${archive}`,
    `--directory=${dest}`,
    '--force-local',
    '--no-same-owner',
    '--no-same-permissions',
    '--no-acls',
    '--no-xattrs',
    '--no-selinux',
    '--no-recursion',
    '--no-wildcards',
    '--no-unquote',
    '--occurrence=1',
    '--',
    member,
  ]
}

/** Extracts MEMBER from the uncompressed tarball ARCHIVE into the empty folder DEST with GNU tar. */
export async function extractWithGnuTar(runner: Runner, archive: string, member: string, dest: string, signal?: AbortSignal): Promise<void> {
  await runner.run('tar', gnuTarExtractArgs(archive, member, dest), {signal})
}
