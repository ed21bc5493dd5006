import {InterruptedError, VmError} from '../errors.js'
import {findDigest, parseChecksumFile} from './checksums.js'
import type {RetryPolicy} from './download.js'
import type {Runner} from '../exec/runner.js'
import {fetchBytes, type TransferTimeouts} from './fetch.js'
import {imageFileName, parseLocation, type Location} from './location.js'
import {findNewestByUrl, type CacheEntry} from './store.js'
import type {BoxRequest, DigestAlgorithm} from './types.js'
import {noVerifierWarning, verifySignature} from './verify-signature.js'

/** The digest an image must have, and where that knowledge came from (for messages). */
export type Expected = {
  readonly algorithm: DigestAlgorithm
  readonly digest: string
  /** The checksum file it was read from; undefined when pinned. */
  readonly checksumUrl?: string
  /** True when the distribution's signature over the checksum file was checked and good. */
  readonly signed?: boolean
}

export type ExpectedDigestOptions = {
  readonly root: string
  readonly signal?: AbortSignal
  readonly timeouts?: TransferTimeouts
  readonly retry?: RetryPolicy
  readonly log: (line: string) => void
  /** Runs gpgv or sqop for a signed checksum file (see verify-signature.ts). */
  readonly runner: Runner
}

/**
 * The digest to verify against: pinned, or read from the distribution's checksum file (fetched
 * fresh every time, so a re-published "latest" image is noticed). When that file cannot be fetched,
 * the newest cached image from the same URL is returned instead, with a warning (offline use).
 * Undefined when the request has no checksum at all (a local file, or --insecure).
 */
export async function expectedDigest(
  request: BoxRequest,
  options: ExpectedDigestOptions,
): Promise<Expected | {readonly offline: CacheEntry} | undefined> {
  const checksum = request.checksum
  if (!checksum) return undefined
  if ('digest' in checksum) return {algorithm: checksum.algorithm, digest: checksum.digest.toLowerCase()}
  try {
    return await readChecksumFile(request, options)
  } catch (error) {
    if (error instanceof InterruptedError || (error as VmError).code !== 'BOX_DOWNLOAD_FAILED') throw error
    const fallback = await findNewestByUrl(options.root, request.url)
    if (!fallback) throw error
    const day = fallback.meta.fetchedAt.slice(0, 10)
    options.log(
      `Warning: ${(error as Error).message} ` +
        `Using the copy of ${request.name} cached on ${day} without checking for a newer image.`,
    )
    return {offline: fallback}
  }
}

/**
 * Fetches the checksum file (asking every cache on the way for a fresh copy), checks the
 * distribution's signature over it when the catalog names one, and finds the image in it. Also
 * used a second time after a mismatch: a stale SHA256SUMS from a proxy is the usual cause.
 * Throws BOX_SIGNATURE_BAD before anything is downloaded when the signature is not good.
 */
export async function readChecksumFile(request: BoxRequest, options: ExpectedDigestOptions): Promise<Expected> {
  const checksum = request.checksum
  if (!checksum || !('checksumUrl' in checksum)) throw new Error('readChecksumFile needs a checksum file')
  const location: Location = parseLocation(request.url)
  const fetch = {timeouts: options.timeouts, signal: options.signal, fresh: true, retry: options.retry, log: options.log}
  let content = await fetchBytes(parseLocation(checksum.checksumUrl), fetch)
  let signed = false
  const signature = checksum.signature
  if (signature) {
    const detached = signature.url ? await fetchBytes(parseLocation(signature.url), {...fetch, subject: 'signature'}) : undefined
    const verified = await verifySignature(content, detached, {
      runner: options.runner,
      root: options.root,
      keyPath: signature.key,
      checksumUrl: checksum.checksumUrl,
      signatureUrl: signature.url,
      signal: options.signal,
    })
    if (!verified.checked) options.log(noVerifierWarning(checksum.checksumUrl))
    content = verified.content
    signed = verified.checked
  }
  const fileName = imageFileName(location)
  const source = `The checksum file ${checksum.checksumUrl}`
  const entry = findDigest(parseChecksumFile(content.toString('utf8')), fileName, checksum.algorithm, source, {checksumUrl: checksum.checksumUrl})
  if (!entry) {
    throw new VmError(`${source} does not list ${fileName}.`, {
      code: 'BOX_CHECKSUM_MISSING',
      hint: 'Check that the checksum file belongs to the same folder and release as the image.',
    })
  }
  return {...entry, checksumUrl: checksum.checksumUrl, ...(signature ? {signed} : {})}
}
