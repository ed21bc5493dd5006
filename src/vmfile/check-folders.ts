/** `folders`: host folders made available in the machine, by rsync-style copy or shared live. */
import type {FolderType, SyncedFolder} from './types.js'
import {complain, describeValue, reject, suggestion, unknownKeys, type Checked, type Complaint} from './complaint.js'
import {checkGuestPath, checkHostPath} from './check-paths.js'
import {FOLDER_KEYS} from './schema.js'

const TYPES: readonly FolderType[] = ['rsync', '9p', 'virtiofs']

export function checkFolders(value: unknown, projectDir: string): Checked<SyncedFolder[]> {
  if (!Array.isArray(value)) {
    return reject(`expected a list of folders such as "- {host: ./site, guest: /srv/site}", found ${describeValue(value)}`)
  }
  const complaints: Complaint[] = []
  const folders: SyncedFolder[] = []
  const guests = new Map<string, number>()
  value.forEach((entry, index) => {
    const checked = checkFolder(entry, projectDir)
    complaints.push(...checked.complaints.map((c) => ({...c, path: [index, ...c.path]})))
    if (!checked.value) return
    const earlier = guests.get(checked.value.guestPath)
    if (earlier !== undefined) {
      complaints.push(complain(`expected each guest path once, found ${checked.value.guestPath} again (also folder ${earlier + 1})`, [index, 'guest']))
    }
    guests.set(checked.value.guestPath, index)
    folders.push(checked.value)
  })
  return complaints.some((c) => c.severity === 'error') ? {complaints} : {value: folders, complaints}
}

function checkFolder(entry: unknown, projectDir: string): Checked<SyncedFolder> {
  if (!(entry instanceof Map)) return reject(`expected a map with host and guest, found ${describeValue(entry)}`)
  const complaints: Complaint[] = unknownKeys(entry, FOLDER_KEYS, [])
  const at = (key: string) => (c: Complaint) => ({...c, path: [key, ...c.path]})
  const host = checkHostPath(entry.get('host'), projectDir, 'the host folder')
  const guest = checkGuestPath(entry.get('guest'), 'the folder in the machine')
  complaints.push(...host.complaints.map(at('host')), ...guest.complaints.map(at('guest')))
  const rawType = entry.get('type') ?? 'rsync'
  const type = TYPES.find((t) => t === rawType)
  if (!type) {
    const hint = typeof rawType === 'string' ? suggestion(rawType, TYPES) : ''
    complaints.push(complain(`expected rsync, 9p or virtiofs, found ${describeValue(rawType)}${hint}`, ['type']))
  }
  const exclude = entry.get('exclude') ?? []
  if (!Array.isArray(exclude) || exclude.some((p) => typeof p !== 'string' || p === '')) {
    complaints.push(complain(`expected a list of patterns such as [node_modules, "*.log"], found ${describeValue(exclude)}`, ['exclude']))
  } else if (exclude.length > 0 && type && type !== 'rsync') {
    complaints.push(complain(`expected exclude only with type rsync: a ${type} folder is shared whole`, ['exclude'], 'key'))
  }
  if (complaints.some((c) => c.severity === 'error') || !host.value || !guest.value || !type) return {complaints}
  return {value: {hostPath: host.value, guestPath: guest.value, type, exclude: exclude as string[]}, complaints}
}
