/**
 * `provision`: a list of provisioners, each a one-key map naming its kind, as in Vagrant:
 *
 *   - shell: "apt-get install -y nginx"                       (inline, as root)
 *   - shell: {path: ./setup.sh, privileged: false, env: {…}, args: […]}
 *   - file: {source: ./app.conf, destination: /tmp/app.conf}
 *   - ansible: {playbook: ./site.yml, extra_vars: {…}}
 */
import {basename} from 'node:path'

import type {Provisioner} from './types.js'
import {accept, complain, describeValue, reject, suggestion, unknownKeys, type Checked, type Complaint} from './complaint.js'
import {checkHostPath} from './check-paths.js'
import {toPlain} from './plain-value.js'
import {ANSIBLE_KEYS, FILE_KEYS, PROVISIONER_KINDS, SHELL_KEYS} from './schema.js'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function checkProvision(value: unknown, projectDir: string): Checked<Provisioner[]> {
  if (!Array.isArray(value)) return reject(`expected a list of provisioners such as "- shell: apt-get install -y nginx", found ${describeValue(value)}`)
  const complaints: Complaint[] = []
  const provisioners: Provisioner[] = []
  value.forEach((entry, index) => {
    const checked = checkEntry(entry, index + 1, projectDir)
    complaints.push(...checked.complaints.map((c) => ({...c, path: [index, ...c.path]})))
    if (checked.value) provisioners.push(checked.value)
  })
  return complaints.some((c) => c.severity === 'error') ? {complaints} : {value: provisioners, complaints}
}

function checkEntry(entry: unknown, number: number, projectDir: string): Checked<Provisioner> {
  const expected = `expected a map with one of ${PROVISIONER_KINDS.join(', ')}, such as "shell: echo hi"`
  if (!(entry instanceof Map) || entry.size !== 1) return reject(`${expected}, found ${describeValue(entry)}`)
  const [[rawKind, body]] = [...entry] as [[unknown, unknown]]
  const kind = String(rawKind)
  const within = (c: Complaint) => ({...c, path: [kind, ...c.path]})
  let checked: Checked<Provisioner>
  if (kind === 'shell') checked = checkShell(body, number, projectDir)
  else if (kind === 'file') checked = checkFile(body, number, projectDir)
  else if (kind === 'ansible') checked = checkAnsible(body, number, projectDir)
  else return {complaints: [complain(`${expected}, found ${describeValue(kind)}${suggestion(kind, PROVISIONER_KINDS)}`, [kind], 'key')]}
  return {...checked, complaints: checked.complaints.map(within)}
}

function checkShell(body: unknown, number: number, projectDir: string): Checked<Provisioner> {
  const base = {kind: 'shell' as const, privileged: true, env: {}, args: []}
  if (typeof body === 'string') {
    if (body.trim() === '') return reject('expected a command, found an empty string')
    return accept({...base, label: `shell #${number} (inline)`, inline: body})
  }
  if (!(body instanceof Map)) return reject(`expected a command or a map with inline or path, found ${describeValue(body)}`)
  const complaints = unknownKeys(body, SHELL_KEYS, [])
  const hasInline = body.has('inline')
  const hasPath = body.has('path')
  if (hasInline === hasPath) complaints.push(complain(`expected exactly one of inline or path, found ${hasInline ? 'both' : 'neither'}`))
  const inline = body.get('inline')
  if (hasInline && (typeof inline !== 'string' || inline.trim() === '')) complaints.push(complain(`expected a command, found ${describeValue(inline)}`, ['inline']))
  const path = hasPath ? checkHostPath(body.get('path'), projectDir, 'a script') : undefined
  complaints.push(...(path?.complaints ?? []).map((c) => ({...c, path: ['path', ...c.path]})))
  const privileged = body.get('privileged') ?? true
  if (typeof privileged !== 'boolean') complaints.push(complain(`expected true or false, found ${describeValue(privileged)}`, ['privileged']))
  const env = checkEnv(body.get('env') ?? new Map())
  const args = body.get('args') ?? []
  complaints.push(...env.complaints.map((c) => ({...c, path: ['env', ...c.path]})))
  const argsOk = Array.isArray(args) && args.every((a) => ['string', 'number', 'boolean'].includes(typeof a))
  if (!argsOk) complaints.push(complain(`expected a list of words such as [--verbose, "2"], found ${describeValue(args)}`, ['args']))
  if (complaints.some((c) => c.severity === 'error') || !env.value) return {complaints}
  const label = `shell #${number} (${path?.value ? basename(path.value) : 'inline'})`
  return {
    value: {
      ...base,
      label,
      ...(path?.value ? {path: path.value} : {inline: inline as string}),
      privileged: privileged as boolean,
      env: env.value,
      args: (args as unknown[]).map(String),
    },
    complaints,
  }
}

function checkEnv(value: unknown): Checked<Record<string, string>> {
  if (!(value instanceof Map)) return reject(`expected a map of variables such as {APP_ENV: dev}, found ${describeValue(value)}`)
  const complaints: Complaint[] = []
  const env: Record<string, string> = {}
  for (const [key, inner] of value) {
    const name = String(key)
    if (!ENV_NAME.test(name)) complaints.push(complain(`expected a variable name (letters, digits, _), found ${describeValue(name)}`, [name], 'key'))
    else if (!['string', 'number', 'boolean'].includes(typeof inner)) complaints.push(complain(`expected a string or number, found ${describeValue(inner)}`, [name]))
    else env[name] = String(inner)
  }
  return complaints.length > 0 ? {complaints} : accept(env)
}

function checkFile(body: unknown, number: number, projectDir: string): Checked<Provisioner> {
  if (!(body instanceof Map)) return reject(`expected a map with source and destination, found ${describeValue(body)}`)
  const complaints = unknownKeys(body, FILE_KEYS, [])
  const source = checkHostPath(body.get('source'), projectDir, 'the file or folder to copy')
  complaints.push(...source.complaints.map((c) => ({...c, path: ['source', ...c.path]})))
  const destination = body.get('destination')
  if (typeof destination !== 'string' || destination.trim() === '') {
    complaints.push(complain(`expected a path in the machine such as /tmp/app.conf or ~/app.conf, found ${describeValue(destination)}`, ['destination']))
  }
  if (complaints.some((c) => c.severity === 'error') || !source.value) return {complaints}
  return {value: {kind: 'file', label: `file #${number} (${basename(source.value)})`, source: source.value, destination: destination as string}, complaints}
}

function checkAnsible(body: unknown, number: number, projectDir: string): Checked<Provisioner> {
  // `ansible: ./site.yml` is the short form.
  const map = typeof body === 'string' ? new Map([['playbook', body]]) : body
  if (!(map instanceof Map)) return reject(`expected a map with playbook, found ${describeValue(body)}`)
  const complaints = unknownKeys(map, ANSIBLE_KEYS, [])
  const playbook = checkHostPath(map.get('playbook'), projectDir, 'a playbook')
  complaints.push(...playbook.complaints.map((c) => ({...c, path: typeof body === 'string' ? c.path : ['playbook', ...c.path]})))
  const extraVars = map.get('extra_vars') ?? new Map()
  if (!(extraVars instanceof Map)) complaints.push(complain(`expected a map of variables, found ${describeValue(extraVars)}`, ['extra_vars']))
  if (complaints.some((c) => c.severity === 'error') || !playbook.value) return {complaints}
  const vars = toPlain(extraVars) as Record<string, unknown>
  return {value: {kind: 'ansible', label: `ansible #${number} (${basename(playbook.value)})`, playbook: playbook.value, extraVars: vars}, complaints}
}
