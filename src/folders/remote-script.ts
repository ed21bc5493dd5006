/**
 * The guest side of a folder sync: POSIX sh scripts, run as root, that read a tar archive on
 * stdin. Pure text builders; every user value (guest path, file names) is single-quoted, so the
 * guest's shell never expands anything in it. The scripts take the login user's uid and gid as
 * $1 and $2 and give everything they write to that user (Vagrant's `rsync__chown` default).
 *
 * Only tools found on every cloud image are used: sh, tar, mkdir, mktemp, mv, rm, chown, find.
 */

/** POSIX single quotes: nothing inside is special except the quote itself, which we close, escape, reopen. */
export function singleQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/** Shown in the guest's error messages ("vm-sync: ..."), as $0 of the script. */
const SCRIPT_NAME = 'vm-sync'

/**
 * Replaces GUEST (absolute, normalised, not `/`) with the archive's content: extracts into a fresh
 * sibling folder, chowns it, then swaps it in with two renames in the same parent. A failure at
 * any point leaves the old folder as it was (the trap puts it back if it was already moved aside)
 * and removes the half-extracted copy; the guest never sees a half-synced folder.
 */
export function renderFullSyncScript(guestPath: string): string {
  const parent = guestPath.slice(0, guestPath.lastIndexOf('/')) || '/'
  return [
    'set -eu',
    `dest=${singleQuote(guestPath)}`,
    'new=',
    'old=',
    'finish() {',
    '  if [ -n "$old" ] && [ ! -e "$dest" ] && [ ! -L "$dest" ]; then mv -- "$old/prev" "$dest" || :; fi',
    '  if [ -n "$new" ]; then rm -rf -- "$new"; fi',
    '  if [ -n "$old" ]; then rm -rf -- "$old"; fi',
    '}',
    'trap finish EXIT',
    // Without these the shell would die on a signal without running the EXIT trap.
    "trap 'exit 1' HUP INT TERM PIPE",
    `mkdir -p -- ${singleQuote(parent)}`,
    // A sibling, so the final rename stays inside one file system and is atomic.
    `new=$(mktemp -d ${singleQuote(`${guestPath}.vm-sync-XXXXXX`)})`,
    // As root tar restores modes (the `.` member gives the folder its own); owners it must not
    // take from the host's numbers.
    'tar -x -f - -C "$new" --no-same-owner',
    // -h: a symlink is chowned itself; following it would hand its target (say /etc/shadow) to the user.
    'chown -R -h -- "$1:$2" "$new"',
    'if [ -e "$dest" ] || [ -L "$dest" ]; then',
    `  old=$(mktemp -d ${singleQuote(`${guestPath}.vm-old-XXXXXX`)})`,
    '  mv -- "$dest" "$old/prev"',
    'fi',
    'mv -- "$new" "$dest"',
    'new=',
    '',
  ].join('\n')
}

/**
 * Applies an incremental change to GUEST, which a full sync made before: first removes REMOVED
 * (relative, normalised paths), then, when EXTRACT, unpacks the archive on stdin over the folder,
 * then gives whatever is not the login user's back to it.
 *
 * Removal never goes through a symlink: a path is only removed when every parent of it is a real
 * directory inside the folder, so a guest-side link (say `lib -> /usr/lib`) cannot make root
 * delete `/usr/lib/x` for a host-side `lib/x`. Extraction is safe the same way because the archive
 * carries each changed path's parent directories (see sync-changes.ts): tar replaces a symlink
 * that stands where a directory entry goes, instead of writing through it.
 */
export function renderChangesScript(guestPath: string, removed: readonly string[], extract: boolean): string {
  const lines = [
    'set -eu',
    `dest=${singleQuote(guestPath)}`,
    'if [ ! -d "$dest" ]; then echo "$0: $dest is missing: the folder needs a full sync first" >&2; exit 3; fi',
    'cd -P -- "$dest"',
  ]
  if (removed.length > 0) {
    lines.push(
      'inside() {',
      '  rest=$1 at=.',
      '  while :; do',
      '    case $rest in',
      '      */*) at=$at/${rest%%/*}; rest=${rest#*/} ;;',
      '      *) return 0 ;;',
      '    esac',
      '    if [ -L "$at" ] || [ ! -d "$at" ]; then return 1; fi',
      '  done',
      '}',
      'remove() { if inside "$1"; then rm -rf -- "./$1"; fi; }',
      ...removed.map((rel) => `remove ${singleQuote(rel)}`),
    )
  }
  if (extract) lines.push('tar -x -f - --no-same-owner')
  // Only what is not the user's yet: new entries (tar made them as root) and removed-then-added ones.
  lines.push('find . \\( ! -user "$1" -o ! -group "$2" \\) -exec chown -h -- "$1:$2" {} +', '')
  return lines.join('\n')
}

export type RemoteCommandOptions = {
  /**
   * Run the script through `sudo -n` unless the login user is root already (true in vm; tests
   * pass false to run the exact same script as whoever runs them).
   */
  readonly sudo: boolean
}

/**
 * The one string ssh hands to the login shell: runs SCRIPT with `sh -c`, as root, with the login
 * user's uid and gid (taken before sudo changes them) as $1 and $2. The script travels as one
 * single-quoted word, so its own quoting arrives intact.
 */
export function remoteCommand(script: string, options: RemoteCommandOptions): string {
  const run = (prefix: string): string => `${prefix}sh -c "$s" ${SCRIPT_NAME} "$u" "$g"`
  const head = `s=${singleQuote(script)}; u=$(id -u); g=$(id -g); `
  if (!options.sudo) return head + run('')
  // -n: never prompt (stdin is the archive); root needs no sudo, and may not have it installed.
  return `${head}if [ "$u" = 0 ]; then ${run('')}; else ${run('sudo -n ')}; fi`
}
