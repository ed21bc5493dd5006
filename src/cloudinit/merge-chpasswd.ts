/**
 * `chpasswd` without vm's own user. cloud-init's chpasswd expires the passwords it sets unless
 * told otherwise (`expire` defaults to true), and an expired password makes sshd refuse even a
 * key login that has no terminal ("Password change required but no TTY available"): that would
 * lock vm out of every non-interactive command. vm's user logs in with a key only, so its lines
 * are dropped; the other users' stay.
 */
import {isRecord} from './plain-data.js'

/**
 * The user's `chpasswd` value with the entries for `ourNames` removed from `list` (a string of
 * `user:password` lines, or a list of such strings) and `users` (a list of maps with `name`).
 * A value of another shape is returned as it is, for cloud-init's schema check to report.
 */
export function chpasswdWithoutOurs(chpasswd: unknown, ourNames: readonly string[]): {value: unknown; notes: string[]} {
  if (!isRecord(chpasswd)) return {value: structuredClone(chpasswd), notes: []}
  const ours = new Set(ourNames)
  const value = structuredClone(chpasswd)
  const dropped = new Set<string>()
  const isOurLine = (line: unknown) => {
    if (typeof line !== 'string') return false
    const name = line.split(':')[0]!.trim()
    if (ours.has(name)) dropped.add(name)
    return ours.has(name)
  }
  if (typeof value.list === 'string') {
    value.list = value.list
      .split('\n')
      .filter((line) => !isOurLine(line))
      .join('\n')
  } else if (Array.isArray(value.list)) {
    value.list = value.list.filter((line) => !isOurLine(line))
  }
  if (Array.isArray(value.users)) {
    value.users = value.users.filter((entry) => {
      const mine = isRecord(entry) && typeof entry.name === 'string' && ours.has(entry.name)
      if (mine) dropped.add(entry.name as string)
      return !mine
    })
  }
  if (dropped.size === 0) return {value, notes: []}
  const names = [...dropped].map((name) => JSON.stringify(name)).join(', ')
  return {
    value,
    notes: [`chpasswd: ignored the password for ${names}: vm's user logs in with its key only, and an expired password would lock vm out.`],
  }
}
