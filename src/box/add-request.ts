import {resolve} from 'node:path'

import {parseLocation} from './location.js'
import type {BoxRequest} from './types.js'
import {userChecksum} from './user-checksum.js'

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
  const checksumUrl = checksum.checksumUrl === undefined || isUrl(checksum.checksumUrl) ? checksum.checksumUrl : resolve(cwd, checksum.checksumUrl)
  return {name, url, checksum: userChecksum(url, {sha256: checksum.sha256, checksumUrl}), mirrors: []}
}

function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
}
