import {basename, isAbsolute} from 'node:path'
import {fileURLToPath} from 'node:url'

import {VmError} from '../errors.js'

/** Where bytes come from: the network (through got) or this machine's file system. */
export type Location = {readonly kind: 'http'; readonly url: string} | {readonly kind: 'file'; readonly path: string}

/**
 * Classifies a box URL: http(s) URLs go to the network; file:// URLs and absolute paths are read
 * from disk. Relative paths are refused: the Vmfile loader resolves them against the project first,
 * and guessing a base here would silently read the wrong file.
 */
export function parseLocation(url: string): Location {
  if (isAbsolute(url)) return {kind: 'file', path: url}
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalid(url, 'it is neither a URL nor an absolute path')
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return {kind: 'http', url: parsed.href}
  if (parsed.protocol === 'file:') {
    if (parsed.host !== '' && parsed.host !== 'localhost') throw invalid(url, 'file:// URLs must name a local file')
    return {kind: 'file', path: fileURLToPath(parsed)}
  }
  throw invalid(url, `the ${parsed.protocol.slice(0, -1)} scheme is not supported (use https, http or file)`)
}

/** The last path segment, percent-decoded: the name checksum files list the image under. */
export function imageFileName(location: Location): string {
  if (location.kind === 'file') return basename(location.path)
  const path = new URL(location.url).pathname
  const last = path.slice(path.lastIndexOf('/') + 1)
  try {
    return decodeURIComponent(last)
  } catch {
    return last
  }
}

/** A short label for an image that is not in the catalog: its file name without the disk extension. */
export function labelFromFileName(fileName: string): string {
  const label = fileName.replace(/\.(qcow2|img|raw)$/i, '')
  return label === '' ? 'image' : label
}

function invalid(url: string, why: string): VmError {
  return new VmError(`Cannot use box URL ${JSON.stringify(url)}: ${why}.`, {code: 'BOX_INVALID_URL', exitCode: 2})
}
