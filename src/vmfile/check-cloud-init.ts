/**
 * `cloud_init`: the user's own #cloud-config, inline as a map or as a path to a file. The
 * file is read (and its first line checked) when a command needs it; merging with what vm
 * needs is cloudinit/merge-user-config.ts's job.
 */
import type {UserCloudInit} from './types.js'
import {accept, complain, describeValue, reject, type Checked, type Complaint} from './complaint.js'
import {checkHostPath} from './check-paths.js'
import {toPlain} from './plain-value.js'

export function checkCloudInit(value: unknown, projectDir: string): Checked<UserCloudInit> {
  if (value instanceof Map) {
    const complaints: Complaint[] = []
    for (const key of value.keys()) {
      if (typeof key !== 'string') complaints.push(complain(`expected cloud-config keys to be words, found ${describeValue(key)}`, [String(key)], 'key'))
    }
    if (complaints.length > 0) return {complaints}
    return accept({kind: 'inline', config: toPlain(value) as Record<string, unknown>})
  }
  if (typeof value === 'string') {
    if (value.trimStart().startsWith('#cloud-config')) {
      return reject('expected a map of cloud-config keys or a path to a #cloud-config file, found cloud-config text; write its keys as a map under cloud_init, or put it in a file and give the path')
    }
    const path = checkHostPath(value, projectDir, 'a #cloud-config file')
    return path.value === undefined ? {complaints: path.complaints} : accept({kind: 'file', path: path.value})
  }
  return reject(`expected a map of cloud-config keys (packages, write_files, runcmd, …) or a path to a #cloud-config file, found ${describeValue(value)}`)
}
