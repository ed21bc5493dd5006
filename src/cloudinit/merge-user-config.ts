/**
 * Merges the user's own cloud-config into vm's, so that no user config can lock vm out of its
 * machine (as users, ssh_authorized_keys or sshd settings in user-data lock Multipass out:
 * canonical/multipass #160, #965):
 * - `users`: vm's user first and intact (merge-users.ts);
 * - keys vm must own (host keys, hostname) keep vm's value, and the user's is dropped;
 * - lists both sides set (bootcmd, mounts, write_files...) are vm's entries, then the user's;
 * - any other key the user sets is theirs, including ssh_pwauth, disable_root, growpart and
 *   top-level ssh_authorized_keys (the image's default user's keys, which cannot remove vm's).
 * What the user wrote that vm dropped, or kept but cannot judge (lockout-risks.ts), comes back as
 * notes for the user to read.
 */
import {lockoutRiskNotes} from './lockout-risks.js'
import {chpasswdWithoutOurs} from './merge-chpasswd.js'
import {mergeUsers} from './merge-users.js'
import {describeValue, isRecord} from './plain-data.js'

export type MergedConfig = {config: Record<string, unknown>; notes: string[]}

/** Keys whose user value is dropped, with the reason the note gives. */
const VM_OWNED: ReadonlyMap<string, string> = new Map([
  // ssh only connects to a machine whose host key matches the one vm generated and pinned.
  ...['ssh_keys', 'ssh_deletekeys', 'ssh_genkeytypes'].map((key) => [key, 'vm installs and pins the SSH host key'] as const),
  // Machines of a project reach each other by machine name.
  ...['hostname', 'fqdn', 'preserve_hostname', 'prefer_fqdn_over_hostname'].map(
    (key) => [key, "vm sets the hostname to the machine's name"] as const,
  ),
])

/**
 * `ours` merged with `user`. Keys come in a fixed order: vm's in vm's order, then the user's
 * others in the user's order. Pure: neither input is changed, and the result shares nothing
 * with them.
 */
export function mergeUserConfig(ours: Readonly<Record<string, unknown>>, user: Readonly<Record<string, unknown>>): MergedConfig {
  const config: Record<string, unknown> = {}
  const notes: string[] = []
  const ourUsers = Array.isArray(ours.users) ? ours.users : []
  const ourNames = ourUsers.flatMap((entry) => (isRecord(entry) && typeof entry.name === 'string' ? [entry.name] : []))

  for (const [key, value] of Object.entries(ours)) {
    if (key === 'users') {
      const merged = mergeUsers(ourUsers, user.users)
      config.users = merged.users
      notes.push(...merged.notes)
    } else if (!Object.hasOwn(user, key) || VM_OWNED.has(key)) {
      set(config, key, structuredClone(value))
    } else if (Array.isArray(value)) {
      set(config, key, structuredClone(mergeLists(key, value, user[key], notes)))
    } else {
      set(config, key, structuredClone(user[key]))
    }
  }
  for (const [key, value] of Object.entries(user)) {
    if (Object.hasOwn(ours, key) && !VM_OWNED.has(key)) continue
    const reason = VM_OWNED.get(key)
    if (reason !== undefined) {
      notes.push(`${key}: ignored, ${reason}.`)
    } else if (key === 'user' && namesOneOf(value, ourNames)) {
      // The legacy `user` key configures the default user; naming vm's user would let its
      // settings override vm's (cloud-init merges them over the users entry).
      notes.push(`user: ignored, it names vm's own login user ${describeValue(isRecord(value) ? value.name : value)}.`)
    } else if (key === 'chpasswd') {
      const chpasswd = chpasswdWithoutOurs(value, ourNames)
      config.chpasswd = chpasswd.value
      notes.push(...chpasswd.notes)
    } else {
      set(config, key, structuredClone(value))
    }
  }
  if (Object.hasOwn(user, 'ssh_authorized_keys') && !createsDefaultUser(config)) {
    notes.push(
      'ssh_authorized_keys (top level) go to the image\'s default user, which cloud-init creates only when users lists "default": add "- default" to users, or put the keys in a user\'s entry.',
    )
  }
  notes.push(...lockoutRiskNotes(user, ourNames))
  return {config, notes}
}

/**
 * Adds a key as an own property even when it is `__proto__` (which YAML allows as a key), so
 * that it stays a key of the config rather than replacing the object's prototype.
 */
function set(config: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(config, key, {value, enumerable: true, writable: true, configurable: true})
}

/** vm's entries then the user's; a user value that is not a list is dropped (cloud-init wants one). */
function mergeLists(key: string, ours: readonly unknown[], theirs: unknown, notes: string[]): unknown[] {
  if (Array.isArray(theirs)) return [...ours, ...theirs]
  if (theirs !== null && theirs !== undefined) notes.push(`${key}: expected a list, found ${describeValue(theirs)}; ignored.`)
  return [...ours]
}

/** Whether the legacy `user` value (a name, or a map with `name`) names one of `names`. */
function namesOneOf(value: unknown, names: readonly string[]): boolean {
  const name = isRecord(value) ? value.name : value
  return typeof name === 'string' && names.includes(name)
}

/**
 * Whether a merged config creates the image's default user: a `default` in users (a string entry
 * may list several names, comma-separated), a map entry without a name, or the legacy `user` key.
 */
function createsDefaultUser(config: Readonly<Record<string, unknown>>): boolean {
  if (config.user) return true
  const users = Array.isArray(config.users) ? config.users : []
  return users.some((entry) =>
    typeof entry === 'string'
      ? entry.split(',').some((name) => name.trim() === 'default')
      : isRecord(entry) && (entry.name ?? 'default') === 'default',
  )
}
