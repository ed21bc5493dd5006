import {VmError} from '../errors.js'
import type {BoxRequest} from './types.js'

/**
 * Whether a box's verification means anything, judged by how its bytes travel. Pure.
 *
 * A checksum check proves that the image is the one the checksum file names. When the image AND
 * the checksum file both come over plain http, anyone on the network path can swap both, and the
 * check passes on bytes they chose. So such a box is refused unless the user says --insecure (then
 * it is a warning). Not affected: a digest pinned in the Vmfile or on the command line (it never
 * travels), a checksum file over https or read from this host, and loopback hosts (127.0.0.0/8,
 * ::1, localhost), whose traffic never leaves the machine: the end-to-end tests serve images from
 * http://127.0.0.1.
 */

/** How a URL's bytes reach us. */
export type Transport = 'https' | 'local' | 'loopback' | 'plain-http'

/** 127.0.0.0/8, ::1 and localhost, as WHATWG URL spells a hostname (lower case, IPv6 in brackets, IPv4 normalised). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255)
}

/** https, a file on this host (file:// or a path), an http URL to a loopback host, or plain http over a network. */
export function transportOf(url: string): Transport {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'local' // an absolute path (location.ts refuses anything else before this is asked)
  }
  if (parsed.protocol === 'https:') return 'https'
  if (parsed.protocol !== 'http:') return 'local'
  return isLoopbackHost(parsed.hostname) ? 'loopback' : 'plain-http'
}

/**
 * What makes the request's verification worthless, in words that follow "because": the image (or
 * one of its mirrors) and its checksum file both over plain http. Undefined when the digest is
 * pinned, when there is no checksum at all (refuseUnverified's business), or when either side is
 * https, local or loopback.
 */
export function plainHttpRisk(request: BoxRequest): string | undefined {
  const checksum = request.checksum
  if (!checksum || !('checksumUrl' in checksum)) return undefined
  if (transportOf(checksum.checksumUrl) !== 'plain-http') return undefined
  const image = [request.url, ...request.mirrors].find((url) => transportOf(url) === 'plain-http')
  if (!image) return undefined
  return `its image ${image} and its checksum file ${checksum.checksumUrl} both come over plain http`
}

export type TransportVerdict =
  | {readonly action: 'go'}
  | {readonly action: 'warn'; readonly warning: string}
  | {readonly action: 'refuse'; readonly error: VmError}

/** Go, warn (with --insecure) or refuse (BOX_INSECURE_TRANSPORT, exit 2) a request, by plainHttpRisk. */
export function judgeTransport(request: BoxRequest, insecure = false): TransportVerdict {
  const risk = plainHttpRisk(request)
  if (!risk) return {action: 'go'}
  if (insecure) {
    return {
      action: 'warn',
      warning:
        `Warning: ${request.name}: ${risk}, so its checksum proves nothing (anyone on the network path could have chosen both); ` +
        'going on because of --insecure.',
    }
  }
  return {
    action: 'refuse',
    error: new VmError(`Refusing to trust box ${request.name}: ${risk}.`, {
      code: 'BOX_INSECURE_TRANSPORT',
      exitCode: 2,
      detail: 'Anyone on the network path can replace both files, and the checksum would still match.',
      hint:
        'Use https URLs, or pin the image\'s digest (sha256: in the Vmfile, --sha256 for `vm box add`); ' +
        '--insecure accepts it as it is.',
    }),
  }
}
