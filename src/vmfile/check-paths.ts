/**
 * Paths written in the Vmfile: host paths resolve against the Vmfile's folder (as Vagrant's do
 * against the Vagrantfile's), guest paths must be absolute. Pure: whether a host path exists
 * is checked by the command that uses it.
 */
import {isAbsolute, posix, resolve} from 'node:path'

import {hasControlCharacter} from '../ui/printable.js'
import {accept, describeValue, reject, type Checked} from './complaint.js'

/** A host file or folder, relative to `projectDir` unless absolute. `what` names it in the message. */
export function checkHostPath(value: unknown, projectDir: string, what: string): Checked<string> {
  if (typeof value !== 'string' || value.trim() === '') {
    return reject(`expected ${what} (a path, relative to the Vmfile's folder), found ${describeValue(value)}`)
  }
  // The shell would expand "~", but YAML does not and neither do we: say so instead of guessing.
  if (value.startsWith('~')) return reject(`expected ${what}, found ${describeValue(value)} (~ is not expanded; write the full path or one relative to the Vmfile)`)
  // They would reach libvirt's XML, tar and rsync arguments, and terminals; no real path needs them.
  if (hasControlCharacter(value)) return reject(`expected ${what} without control characters, found ${describeValue(value)}`)
  return accept(isAbsolute(value) ? resolve(value) : resolve(projectDir, value))
}

/** An absolute path inside the machine, normalised ("/srv//site/" → "/srv/site"); "/" itself is refused. */
export function checkGuestPath(value: unknown, what: string): Checked<string> {
  if (typeof value !== 'string' || !value.startsWith('/')) {
    return reject(`expected ${what} as an absolute path such as /srv/app, found ${describeValue(value)}`)
  }
  if (hasControlCharacter(value)) return reject(`expected ${what} without control characters, found ${describeValue(value)}`)
  const normal = posix.normalize(value).replace(/\/+$/, '')
  if (normal === '') return reject(`expected ${what} below /, found "/" (vm would replace the whole file system)`)
  return accept(normal)
}
