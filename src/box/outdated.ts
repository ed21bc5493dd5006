import {VmError} from '../errors.js'
import type {CatalogEntry} from './catalog-entry.js'
import {readChecksumFile, type ExpectedDigestOptions} from './expected-digest.js'
import type {NamedBox} from './named-boxes.js'
import {checksumFileSource} from './user-checksum.js'
import type {CacheEntry} from './store.js'
import type {Arch, BoxRequest} from './types.js'

export type OutdatedStatus = 'up-to-date' | 'outdated' | 'pinned' | 'unknown'

export type OutdatedRow = {
  readonly name: string
  readonly cachedSha256: string
  readonly cachedAt: string
  readonly status: OutdatedStatus
  /** The digest the publisher lists now, when it could be read. */
  readonly currentDigest?: string
  readonly reason?: string
}

/**
 * For each cached box that has a publisher to ask (the catalog's checksum file, or the checksum URL
 * given to `vm box add`), whether the image published today is the one in the cache. Reads the
 * checksum files only; downloads no image.
 */
export async function checkOutdated(
  catalog: readonly CatalogEntry[],
  named: readonly NamedBox[],
  entries: readonly CacheEntry[],
  arch: Arch,
  options: ExpectedDigestOptions,
): Promise<OutdatedRow[]> {
  const rows: OutdatedRow[] = []
  for (const box of named) {
    const entry = entries.find((e) => e.meta.sha256 === box.sha256)
    if (!entry) continue
    if (!box.checksumUrl) {
      rows.push(row(box.name, entry, 'pinned', undefined, 'added with a fixed digest or from a file: nothing to compare with'))
      continue
    }
    const request: BoxRequest = {name: box.name, url: box.source, checksum: checksumFileSource(box.checksumUrl), mirrors: []}
    rows.push(await compare(box.name, entry, request, options))
  }
  for (const item of catalog) {
    const image = item.images[arch]
    const newest = entries
      .filter((e) => e.meta.name === item.name)
      .sort((a, b) => b.meta.fetchedAt.localeCompare(a.meta.fetchedAt))[0]
    if (!image || !newest) continue
    const request: BoxRequest = {name: item.name, url: image.url, checksum: image.checksum, mirrors: []}
    rows.push(await compare(item.name, newest, request, options))
  }
  return rows
}

async function compare(name: string, entry: CacheEntry, request: BoxRequest, options: ExpectedDigestOptions): Promise<OutdatedRow> {
  const checksum = request.checksum
  try {
    const expected = checksum && 'digest' in checksum ? {algorithm: checksum.algorithm, digest: checksum.digest} : await readChecksumFile(request, options)
    const cached = expected.algorithm === 'sha512' ? entry.meta.sha512 : entry.meta.sha256
    const status = cached === expected.digest ? 'up-to-date' : 'outdated'
    return row(name, entry, status, expected.digest)
  } catch (error) {
    if (!(error instanceof VmError)) throw error
    return row(name, entry, 'unknown', undefined, error.message)
  }
}

function row(name: string, entry: CacheEntry, status: OutdatedStatus, currentDigest?: string, reason?: string): OutdatedRow {
  return {
    name,
    cachedSha256: entry.meta.sha256,
    cachedAt: entry.meta.fetchedAt,
    status,
    ...(currentDigest ? {currentDigest} : {}),
    ...(reason ? {reason} : {}),
  }
}
