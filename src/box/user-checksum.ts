import {VmError} from '../errors.js'
import {parseLocation} from './location.js'
import {isHexDigest, type ChecksumSource} from './types.js'

/**
 * The checksum a user gave for an image (a Vmfile's sha256 / checksum_url, or `vm box add`'s
 * --sha256 / --checksum-url) as a ChecksumSource; undefined when neither was given. Pure.
 * Throws BOX_INVALID_CHECKSUM for a digest that is not 64 hex digits, BOX_INVALID_URL for a bad
 * checksum URL.
 */
export function userChecksum(url: string, given: {readonly sha256?: string; readonly checksumUrl?: string}): ChecksumSource | undefined {
  if (given.sha256 !== undefined) {
    const digest = given.sha256.trim().toLowerCase().replace(/^sha256:/, '')
    if (!isHexDigest(digest, 'sha256')) {
      const message = `The sha256 given for ${url} is not 64 hex digits: ${JSON.stringify(given.sha256)}.`
      throw new VmError(message, {code: 'BOX_INVALID_CHECKSUM', exitCode: 2})
    }
    return {algorithm: 'sha256', digest}
  }
  if (given.checksumUrl !== undefined) {
    parseLocation(given.checksumUrl) // the same rules as the image: http(s), file:// or an absolute path
    return checksumFileSource(given.checksumUrl)
  }
  return undefined
}

/**
 * A checksum file as a ChecksumSource. Its name is the only hint at the algorithm before it is
 * fetched (SHA512SUMS, sha256sum.txt): a preference, not a promise, since ensureBox takes whichever
 * sha256/sha512 entry the file has.
 */
export function checksumFileSource(checksumUrl: string): ChecksumSource {
  const fileName = checksumUrl.slice(checksumUrl.lastIndexOf('/') + 1)
  return {algorithm: fileName.includes('512') ? 'sha512' : 'sha256', checksumUrl}
}
