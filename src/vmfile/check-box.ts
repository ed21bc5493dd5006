/**
 * The `box` setting: a catalog name ("debian-12") or a map naming an image by URL or local
 * path, with a checksum for downloads. Pure: whether the name is in the catalog, or the file
 * exists, is checked later by the step that fetches the box.
 */
import {resolve} from 'node:path'

import type {BoxSource} from './types.js'
import {accept, complain, describeValue, reject, unknownKeys, type Checked, type Complaint} from './complaint.js'
import {BOX_KEYS, BOX_NAME_PATTERN} from './schema.js'

const SCHEME = /^([a-z][a-z0-9+.-]*):/i
const SHA256 = /^[0-9a-f]{64}$/i

/**
 * Checks and converts `box`. A relative local path in `url` is resolved against `projectDir`
 * (which must be absolute) into an absolute path; URLs are kept exactly as written.
 */
export function checkBox(value: unknown, projectDir: string): Checked<BoxSource> {
  if (typeof value === 'string') return checkBoxName(value)
  if (value instanceof Map) return checkBoxMap(value, projectDir)
  return reject(`expected a box name like debian-12 or a map with url, found ${describeValue(value)}`)
}

function checkBoxName(name: string): Checked<BoxSource> {
  if (BOX_NAME_PATTERN.test(name)) return accept({kind: 'catalog', name})
  const slug = name.trim().toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|-+$/g, '')
  const hint = slug !== name && BOX_NAME_PATTERN.test(slug) ? `; did you mean ${slug}?` : ''
  const expected = 'expected a box name like debian-12 (lower-case letters, digits, ".", "_", "-")'
  return reject(`${expected}, found ${describeValue(name)}${hint}`)
}

function checkBoxMap(map: Map<unknown, unknown>, projectDir: string): Checked<BoxSource> {
  const complaints: Complaint[] = unknownKeys(map, BOX_KEYS, [])
  const image = checkImageUrl(map.get('url'), projectDir)
  complaints.push(...image.complaints)
  const sha256 = map.has('sha256') ? checkSha256(map.get('sha256')) : undefined
  const checksumUrl = map.has('checksum_url') ? checkChecksumUrl(map.get('checksum_url')) : undefined
  complaints.push(...(sha256?.complaints ?? []), ...(checksumUrl?.complaints ?? []))
  if (sha256 && checksumUrl) {
    complaints.push(complain('expected either sha256 or checksum_url, found both', ['checksum_url'], 'key'))
  } else if (!sha256 && !checksumUrl && image.value?.remote) {
    // A download without a checksum could be swapped in transit or on the server unnoticed.
    complaints.push(complain('expected sha256 or checksum_url to verify the download, found neither'))
  }
  if (!image.value || complaints.some((complaint) => complaint.severity === 'error')) return {complaints}
  const box: BoxSource = {
    kind: 'url',
    url: image.value.url,
    ...(sha256?.value === undefined ? {} : {sha256: sha256.value}),
    ...(checksumUrl?.value === undefined ? {} : {checksumUrl: checksumUrl.value}),
  }
  return {value: box, complaints}
}

type Image = {url: string; remote: boolean}

function checkImageUrl(value: unknown, projectDir: string): Checked<Image> {
  const expected = 'expected an http, https or file URL or a local path'
  const fail = (message: string): Checked<Image> => ({complaints: [complain(message, ['url'])]})
  if (typeof value !== 'string' || value.trim() === '') return fail(`${expected}, found ${describeValue(value)}`)
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    // The shell would expand "~", but YAML does not and neither do we: say so instead of guessing.
    if (value.startsWith('~')) {
      return fail(`${expected}, found ${describeValue(value)} (~ is not expanded; write the full path)`)
    }
    return accept({url: resolve(projectDir, value), remote: false})
  }
  if (!['http', 'https', 'file'].includes(scheme)) return fail(`${expected}, found ${describeValue(value)}`)
  if (!URL.canParse(value)) return fail(`expected a valid URL, found ${describeValue(value)}`)
  if (scheme === 'file' && !isLocalFileUrl(value)) {
    return fail(`expected a file URL without a host, such as file:///srv/image.qcow2, found ${describeValue(value)}`)
  }
  return accept({url: value, remote: scheme !== 'file'})
}

function checkSha256(value: unknown): Checked<string> {
  if (typeof value === 'string' && SHA256.test(value)) return accept(value.toLowerCase())
  const message = `expected 64 hex digits (a SHA-256 digest), found ${describeValue(value)}`
  return {complaints: [complain(message, ['sha256'])]}
}

function checkChecksumUrl(value: unknown): Checked<string> {
  const scheme = typeof value === 'string' ? SCHEME.exec(value)?.[1]?.toLowerCase() : undefined
  const ok = typeof value === 'string' && ['http', 'https', 'file'].includes(scheme ?? '') && URL.canParse(value)
  if (ok && (scheme !== 'file' || isLocalFileUrl(value))) return accept(value)
  const expected = 'expected an http, https or local file URL of a checksum file such as SHA256SUMS'
  const message = `${expected}, found ${describeValue(value)}`
  return {complaints: [complain(message, ['checksum_url'])]}
}

/** file://host/… would name another machine's file, which nothing in vm can read. */
function isLocalFileUrl(url: string): boolean {
  return ['', 'localhost'].includes(new URL(url).host)
}
