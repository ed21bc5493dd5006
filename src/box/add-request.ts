import {resolve} from 'node:path'

import {VmError} from '../errors.js'
import {parseLocation} from './location.js'
import {isHexDigest, type BoxRequest} from './types.js'

/**
 * `vm box add NAME SOURCE [--sha256 | --checksum-url]` as one image to fetch. A relative path is
 * taken from the current folder, like every other command line tool. Pure.
 */
export function addBoxRequest(
  name: string,
  source: string,
  checksum: {readonly sha256?: string; readonly checksumUrl?: string},
  cwd: string,
): BoxRequest {
  const url = isUrl(source) ? source : resolve(cwd, source)
  parseLocation(url) // http(s), file:// or an absolute path; throws BOX_INVALID_URL otherwise
  if (checksum.sha256 !== undefined) {
    const digest = checksum.sha256.trim().toLowerCase().replace(/^sha256:/, '')
    if (!isHexDigest(digest, 'sha256')) {
      throw new VmError(`--sha256 must be 64 hex digits, found ${JSON.stringify(checksum.sha256)}.`, {code: 'BOX_INVALID_CHECKSUM', exitCode: 2})
    }
    return {name, url, checksum: {algorithm: 'sha256', digest}, mirrors: []}
  }
  if (checksum.checksumUrl !== undefined) {
    const checksumUrl = isUrl(checksum.checksumUrl) ? checksum.checksumUrl : resolve(cwd, checksum.checksumUrl)
    parseLocation(checksumUrl)
    const fileName = checksumUrl.slice(checksumUrl.lastIndexOf('/') + 1)
    return {name, url, checksum: {algorithm: fileName.includes('512') ? 'sha512' : 'sha256', checksumUrl}, mirrors: []}
  }
  return {name, url, checksum: undefined, mirrors: []}
}

function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
}
