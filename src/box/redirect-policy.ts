import {VmError} from '../errors.js'

/**
 * Which redirects a box transfer (image, mirror, checksum file, signature) may follow. Pure.
 *
 * An https URL promises that the bytes come from the host it names, unchanged. A redirect from
 * there to plain http would quietly break that promise: anyone on the network path could then
 * choose the bytes, and a checksum file fetched that way vouches for whatever they chose. So a
 * redirect may keep or raise the scheme (http → https), never lower it.
 */

/** Why the redirect from `from` to `to` must not be followed; undefined when it may be. */
export function redirectRefusal(from: string, to: string): string | undefined {
  const source = safeUrl(from)
  const target = safeUrl(to)
  if (!source || !target) return undefined // got refuses what it cannot parse on its own
  if (source.protocol === 'https:' && target.protocol !== 'https:') {
    return `it would fetch over plain ${target.protocol.slice(0, -1)} what was asked for over https`
  }
  return undefined
}

/**
 * BOX_REDIRECT_REFUSED: what was refused, between which URLs, and what to do. `requested` is the
 * URL vm asked for, named when the refused hop is further down a chain of redirects.
 */
export function redirectRefusedError(from: string, to: string, reason: string, requested = from): VmError {
  return new VmError(`Refusing to follow the redirect from ${from} to ${to}: ${reason}.`, {
    code: 'BOX_REDIRECT_REFUSED',
    detail: requested === from ? undefined : `The request was for ${requested}.`,
    hint:
      'Anyone on the network path can change what comes over plain http. Use an https URL that stays on https ' +
      '(the file on another mirror, or its final address), or, if the file really is only served over http, ' +
      'give that http URL yourself with the sha256 pinned.',
  })
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}
