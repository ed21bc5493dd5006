/**
 * Warnings about user cloud-config that vm keeps but cannot judge: files written over sshd's or
 * sudo's configuration, vm's user's ~/.ssh, or the host keys vm pins, and a cloud_init_modules
 * list that leaves out the modules that set up vm's login. Any of them may lock vm out or may be
 * harmless; only the user can tell. Commands (bootcmd, runcmd) can do anything and are never
 * inspected.
 */
import {posix} from 'node:path'

import {isRecord} from './plain-data.js'

/** The modules that create vm's user and install the host key; both run from cloud_init_modules. */
const LOGIN_MODULES = ['users_groups', 'ssh'] as const

/** Notes for `user`, the user's own cloud-config; `ourUsers` are the names vm logs in as. */
export function lockoutRiskNotes(user: Readonly<Record<string, unknown>>, ourUsers: readonly string[]): string[] {
  const notes: string[] = []
  if (Array.isArray(user.write_files)) {
    user.write_files.forEach((entry, index) => {
      if (!isRecord(entry) || typeof entry.path !== 'string') return
      const what = sensitivePath(entry.path, ourUsers)
      if (what !== undefined) {
        notes.push(`write_files.${index} writes ${entry.path} (${what}): this may lock vm out of the machine; vm cannot check it.`)
      }
    })
  }
  if ('cloud_init_modules' in user) {
    const missing = LOGIN_MODULES.filter((module) => !listsModule(user.cloud_init_modules, module))
    if (missing.length > 0) {
      notes.push(`cloud_init_modules leaves out ${missing.join(' and ')}: without them cloud-init does not set up vm's user and host key, and vm cannot log in.`)
    }
  }
  return notes
}

/**
 * Whether a module list names `module`. Entries are names or [name, frequency]; cloud-init also
 * accepts `users-groups` and `cc_users_groups` for `users_groups`.
 */
function listsModule(list: unknown, module: string): boolean {
  if (!Array.isArray(list)) return false
  return list.some((entry) => {
    const name: unknown = Array.isArray(entry) ? entry[0] : entry
    return typeof name === 'string' && name.trim().replace(/^cc_/, '').replace(/-/g, '_') === module
  })
}

/** What a path written by write_files controls, if it is part of how vm logs in; else undefined. */
function sensitivePath(path: string, ourUsers: readonly string[]): string | undefined {
  // normalize: `/etc//ssh/./sshd_config` is the same file.
  const file = posix.normalize(path)
  const under = (folder: string) => file === folder || file.startsWith(`${folder}/`)
  if (under('/etc/ssh/sshd_config') || under('/etc/ssh/sshd_config.d')) return "sshd's configuration"
  if (posix.dirname(file) === '/etc/ssh' && posix.basename(file).startsWith('ssh_host_')) return 'an SSH host key, which vm pins'
  // /etc/sudoers*: sudoers itself, sudoers.d (where cloud-init puts vm's NOPASSWD rule), and the like.
  if (file.startsWith('/etc/sudoers')) return "sudo's configuration"
  for (const name of ourUsers) if (under(`/home/${name}/.ssh`)) return `the SSH files of vm's user ${JSON.stringify(name)}`
  return undefined
}
