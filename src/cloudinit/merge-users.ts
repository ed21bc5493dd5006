/**
 * The `users` list of a merged cloud-config. Whatever the user's list says, vm's own login user
 * comes out first and intact: a `users` list without the tool's user, or an entry for it that
 * replaces its keys, is how user cloud-config locks Multipass out of its machines (canonical/multipass
 * #160, #965).
 *
 * How cloud-init reads the list (cloudinit/distros/ug_util.py, 22.4): map entries with the same
 * name are merged, the earlier entry winning on each field, and `-` in field names becomes `_`
 * afterwards, so a later `lock-passwd` would still override an earlier `lock_passwd`. A string
 * entry names users to create with defaults, and one named like an existing entry changes nothing.
 * So vm merges the user's map entries for its user itself, keeping only fields that add access.
 */
import {isDeepStrictEqual} from 'node:util'

import {describeValue, isRecord} from './plain-data.js'

/** Fields the user may set on vm's user: they add to the account and cannot take access away. */
const TAKEN_FIELDS: ReadonlySet<string> = new Set(['gecos', 'groups', 'ssh_import_id'])
const KEYS_FIELD = 'ssh_authorized_keys'

export type MergedUsers = {users: unknown[]; notes: string[]}

/**
 * Our entries first (the user's map entries for our users merged into them), then the user's
 * other entries in their order, `default` included. Pure: the inputs are not changed.
 *
 * @param ours vm's own entries, each a map with a `name`.
 * @param theirs the user's `users` value as given (absent, a list, or anything else).
 */
export function mergeUsers(ours: readonly unknown[], theirs: unknown): MergedUsers {
  const merged = ours.map((entry) => structuredClone(entry))
  const byName = new Map<string, Record<string, unknown>>()
  for (const entry of merged) if (isRecord(entry) && typeof entry.name === 'string') byName.set(entry.name, entry)
  if (theirs === undefined || theirs === null) return {users: merged, notes: []}
  const names = [...byName.keys()].map((name) => JSON.stringify(name)).join(', ')
  if (!Array.isArray(theirs)) {
    return {
      users: merged,
      notes: [`users: expected a list, found ${describeValue(theirs)}; vm kept only its own user ${names}. Write users as a list (- default, - name: ...).`],
    }
  }
  const notes: string[] = []
  const appended: unknown[] = []
  theirs.forEach((entry, index) => {
    const ourEntry = isRecord(entry) && typeof entry.name === 'string' ? byName.get(entry.name) : undefined
    if (ourEntry) notes.push(...mergeIntoOurs(ourEntry, entry as Record<string, unknown>, `users.${index}`))
    else appended.push(structuredClone(entry))
  })
  return {users: [...merged, ...appended], notes}
}

/** Adds what the user's entry for one of our users may add to `ours` (changed in place); returns notes. */
function mergeIntoOurs(ours: Record<string, unknown>, theirs: Record<string, unknown>, path: string): string[] {
  const ignored: string[] = []
  const notes: string[] = []
  for (const [rawField, value] of Object.entries(theirs)) {
    const field = rawField.replace(/-/g, '_').trim()
    if (field === 'name') continue
    if (field === KEYS_FIELD) {
      const keys = keyList(value)
      if (keys === undefined) notes.push(`${path}.${rawField}: expected a public key or a list of public keys (text); ignored.`)
      else ours[KEYS_FIELD] = union(keyList(ours[KEYS_FIELD]) ?? [], keys)
    } else if (TAKEN_FIELDS.has(field)) {
      ours[field] = structuredClone(value)
    } else if (!isDeepStrictEqual(ours[field], value)) {
      // Everything else either is vm's (sudo, shell, lock_passwd) or can take access away
      // (expiredate, inactive, homedir, no_create_home, ssh_redirect_user, uid, system, passwd...).
      ignored.push(rawField)
    }
  }
  if (ignored.length > 0) {
    notes.unshift(
      `${path} is vm's own login user ${JSON.stringify(ours.name)}: its ssh_authorized_keys, gecos, groups and ssh_import_id are used; ` +
        `ignored ${ignored.join(', ')}, which vm must control to keep logging in.`,
    )
  }
  return notes
}

/** cloud-init takes one key as a string or several as a list; anything else is not a key list. */
function keyList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value
  return undefined
}

/** `first` then the keys of `second` not already in it (compared without surrounding white space). */
function union(first: readonly string[], second: readonly string[]): string[] {
  const seen = new Set(first.map((key) => key.trim()))
  const result = [...first]
  for (const key of second) {
    if (seen.has(key.trim())) continue
    seen.add(key.trim())
    result.push(key)
  }
  return result
}
