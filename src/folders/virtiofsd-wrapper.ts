import {hasControlCharacter} from '../ui/printable.js'

/**
 * The program libvirt starts in place of virtiofsd for a live virtiofs folder on qemu:///system.
 * libvirtd runs virtiofsd as root, and virtiofsd creates files as whichever uid the guest asks
 * for: the guest's root would own files on the host as root, anywhere the share reaches. The
 * wrapper runs virtiofsd instead in a user namespace of its own, so that
 *
 *   guest uid GUEST_UID (vm's user, the guest's first user) is the host user who ran vm,
 *   every other guest uid (root included) is a uid of an unprivileged range (SPARE),
 *
 * and likewise for gids. virtiofsd is root only inside that namespace: it can act on the
 * invoking user's files and on the spare range's, and on nothing else on the host. A file the
 * guest's root writes belongs to a spare uid, never to root; one vm's user writes belongs to the
 * user who ran vm, as with the folder's other files.
 *
 * How: a helper forked before the unshare stays in the initial namespace (only a process there,
 * with CAP_SETUID, may write a map of several ranges) and writes the maps of its parent; the
 * parent then becomes root of its namespace and execs virtiofsd, keeping the pid libvirt knows.
 * Python, because it is on every host vm runs on (the cloud-init schema check needs it) and
 * util-linux's unshare of Debian 12 writes one range only.
 */

/** cloud-init gives the guest's first user uid 1000, and vm's user is that user. */
export const GUEST_UID = 1000

/**
 * Where guest uids other than vm's user land when the invoking user has no range of their own
 * in /etc/subuid (root has none): high, far above any allocated uid.
 */
export const FALLBACK_SPARE_BASE = 0x7fff0000
const SPAN = 65536

export type WrapperSpec = {
  readonly virtiofsd: string
  readonly hostUid: number
  readonly hostGid: number
  readonly spareUid: number
  readonly spareGid: number
}

/** The id map lines for one kind (uid or gid): all of the guest's 0..65535, vm's user onto HOST. Pure. */
export function idMapLines(host: number, spare: number): string {
  return [`0 ${spare} ${GUEST_UID}`, `${GUEST_UID} ${host} 1`, `${GUEST_UID + 1} ${spare + GUEST_UID + 1} ${SPAN - GUEST_UID - 1}`].join('\n') + '\n'
}

/** The wrapper script. Pure; values enter as JSON literals, which Python reads as its own. */
export function renderVirtiofsdWrapper(spec: WrapperSpec): string {
  for (const value of [spec.hostUid, spec.hostGid, spec.spareUid, spec.spareGid]) {
    if (!Number.isInteger(value) || value < 0 || value > 0xfffeffff) throw new Error(`not an id: ${value}`)
  }
  if (!spec.virtiofsd.startsWith('/') || hasControlCharacter(spec.virtiofsd)) throw new Error(`not an absolute path: ${JSON.stringify(spec.virtiofsd)}`)
  return `#!/usr/bin/python3 -IS
# Made by vm (src/folders/virtiofsd-wrapper.ts): runs virtiofsd in a user namespace where guest
# uid ${GUEST_UID} is host uid ${spec.hostUid} and every other guest uid is unprivileged.
import ctypes, os, sys

VIRTIOFSD = ${JSON.stringify(spec.virtiofsd)}
MAPS = {'uid_map': ${JSON.stringify(idMapLines(spec.hostUid, spec.spareUid))}, 'gid_map': ${JSON.stringify(idMapLines(spec.hostGid, spec.spareGid))}}
CLONE_NEWUSER = 0x10000000

parent = os.getpid()
ready, go = os.pipe()
helper = os.fork()
if helper == 0:
    os.close(go)
    if os.read(ready, 1) != b'u':
        os._exit(1)
    try:
        for name, lines in MAPS.items():
            with open('/proc/%d/%s' % (parent, name), 'w') as f:
                f.write(lines)
    except OSError as error:
        print('vm virtiofsd wrapper: cannot write the id maps: %s' % error, file=sys.stderr)
        os._exit(1)
    os._exit(0)
os.close(ready)
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(CLONE_NEWUSER) != 0:
    sys.exit('vm virtiofsd wrapper: unshare: %s' % os.strerror(ctypes.get_errno()))
os.write(go, b'u')
os.close(go)
if os.waitpid(helper, 0)[1] != 0:
    sys.exit(1)
os.setresgid(0, 0, 0)
os.setgroups([])
os.setresuid(0, 0, 0)
os.execv(VIRTIOFSD, [VIRTIOFSD] + sys.argv[1:])
`
}

/**
 * The first subordinate range of at least 65536 ids that /etc/subuid (or /etc/subgid) gives the
 * user NAME or UID; undefined when there is none. Pure.
 */
export function subordinateBase(text: string, name: string | undefined, id: number): number | undefined {
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':')
    if (owner === undefined || start === undefined || count === undefined) continue
    if (owner !== String(id) && owner !== name) continue
    const [base, size] = [Number(start), Number(count)]
    if (Number.isInteger(base) && base > 0 && Number.isInteger(size) && size >= SPAN) return base
  }
  return undefined
}
