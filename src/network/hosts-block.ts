import {isIP} from 'node:net'

import {shellQuote} from '../exec/shell-quote.js'
import {projectHash, projectSlug} from '../machine/names.js'

/**
 * The block vm keeps in each running machine's /etc/hosts so the project's machines find each
 * other by name on any network (NAT, private, bridged): DNS on a libvirt network knows only DHCP
 * clients of that one network, static machines not at all.
 */

export type HostsEntry = {readonly name: string; readonly ip: string}

/** The marker lines; the short project id keeps blocks of two projects (a machine in two labs) apart. */
export function hostsBlockMarkers(projectDir: string): {begin: string; end: string} {
  const id = `${projectSlug(projectDir)}-${projectHash(projectDir)}`
  return {begin: `# BEGIN vm ${id} (machines of this project; vm rewrites this block)`, end: `# END vm ${id}`}
}

/** The block, newline-terminated: begin marker, `IP name` per machine sorted by name, end marker. */
export function renderHostsBlock(projectDir: string, entries: readonly HostsEntry[]): string {
  const {begin, end} = hostsBlockMarkers(projectDir)
  const seen = new Set<string>()
  for (const {name, ip} of entries) {
    // A space or newline here would add names or lines to the guest's hosts file.
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(name)) throw new Error(`not a host name: ${JSON.stringify(name)}`)
    if (isIP(ip) === 0) throw new Error(`not an IP address for ${name}: ${JSON.stringify(ip)}`)
    if (seen.has(name)) throw new Error(`machine ${name} is listed twice`)
    seen.add(name)
  }
  const lines = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(({name, ip}) => `${ip} ${name}`)
  return [begin, ...lines, end, ''].join('\n')
}

/**
 * The script, run by sh as root with $1 = the hosts file, $2/$3 = the markers, the new block on
 * stdin. The block is checked to start and end with the markers first: an empty stdin (a caller
 * that forgot to pass it) must not wipe the block. One awk pass then writes the file's lines with
 * the old block (every copy of it) swapped for the new one at the first one's place, or the new
 * one appended; a begin marker whose end marker went missing keeps the lines after it (up to the
 * next begin or the end of the file) rather than dropping someone's entries. The result goes to a
 * temp file in the same folder, then mv: rename is atomic, so a reader sees the old file or the
 * new one, never half of it. Markers reach awk through the environment (ENVIRON), not `awk -v`,
 * which would interpret backslashes.
 */
const SCRIPT = `set -eu
target=$1
dir=$(dirname -- "$target")
new=$(mktemp "$dir/.vm-hosts.XXXXXX")
tmp=$(mktemp "$dir/.vm-hosts.XXXXXX")
trap 'rm -f -- "$new" "$tmp"' EXIT
cat >"$new"
if [ "$(head -n 1 "$new")" != "$2" ] || [ "$(tail -n 1 "$new")" != "$3" ]; then
  echo "vm-hosts: stdin does not hold the block between the markers; $target left as it was" >&2
  exit 1
fi
src=$target
[ -e "$target" ] || src=/dev/null
VM_BEGIN=$2 VM_END=$3 awk '
  FNR == NR { block = block $0 "\\n"; next }
  $0 == ENVIRON["VM_BEGIN"] { if (skip) printf "%s", held; if (!done) printf "%s", block; done = 1; skip = 1; held = ""; next }
  skip { if ($0 == ENVIRON["VM_END"]) { skip = 0 } else { held = held $0 "\\n" }; next }
  { print }
  END { if (skip) printf "%s", held; if (!done) printf "%s", block }
' "$new" "$src" >"$tmp"
chmod 0644 "$tmp"
# SELinux guests label /etc/hosts net_conf_t; a new file in /etc would get etc_t and confined
# daemons could not read it. Copy the old label where there is one (a no-op elsewhere).
if command -v chcon >/dev/null 2>&1 && [ -e "$target" ]; then chcon --reference="$target" -- "$tmp" 2>/dev/null || true; fi
sync -- "$tmp" 2>/dev/null || sync
mv -f -- "$tmp" "$target"
`

/**
 * A command line for the guest's shell (ssh passes it to the login shell as one string) that
 * writes BLOCK, read from stdin, into PATH as root through passwordless sudo (cloud-init gave the
 * login user that). PATH is a parameter so tests can run the same command on a temp file.
 */
export function updateHostsCommand(block: string, path = '/etc/hosts'): string {
  const lines = block.replace(/\n$/, '').split('\n')
  const begin = lines[0] ?? ''
  const end = lines.at(-1) ?? ''
  const id = /^# BEGIN vm (\S+) /.exec(begin)?.[1]
  if (lines.length < 2 || id === undefined || end !== `# END vm ${id}`) throw new Error('not a hosts block from renderHostsBlock')
  return shellQuote(['sudo', '-n', 'sh', '-c', SCRIPT, 'vm-hosts', path, begin, end])
}
