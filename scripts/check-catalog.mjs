#!/usr/bin/env node
/**
 * Checks the box catalog (boxes/*.yaml) against the internet: for every box and architecture, that
 * the checksum file can be fetched and lists the image, and that the image URL and each mirror
 * answer. Run it before a release and whenever a distribution moves files (Alpine prunes old point
 * releases; Fedora composes go to the archive at end of life):
 *
 *   npm run build && node scripts/check-catalog.mjs [BOX_OR_ALIAS...]
 *
 * One line per check; exit status 0 when all pass, 1 when any fails, 2 for a usage problem. It uses
 * the built modules (dist/box/) so it reads the catalog and checksum files exactly as `vm` does.
 * A mirror that answers with a size other than the official URL's is a warning, not a failure:
 * mirrors of "latest" files lag behind for a while, and vm verifies every byte against the digest.
 */
import got from 'got'

const CONCURRENCY = 6
const TIMEOUT = {request: 60_000}
const HEADERS = {'user-agent': 'vmfile-check-catalog'}

const modules = await loadModules()
const {loadCatalog, findCatalogEntry, CATALOG_DIR} = modules.catalog
const {parseChecksumFile, findDigest} = modules.checksums
const {ARCHES} = modules.types

const entries = await selectEntries(process.argv.slice(2))
const groups = entries.flatMap((entry) =>
  ARCHES.filter((arch) => entry.images[arch]).map((arch) => checksFor(entry, arch, entry.images[arch])),
)
const results = await runInOrder(groups, CONCURRENCY, (result) => console.log(formatResult(result)))
const failed = results.filter((result) => result.status === 'FAIL').length
const warned = results.filter((result) => result.status === 'warn').length
console.log(`\n${results.length} checks: ${results.length - failed - warned} ok, ${warned} warnings, ${failed} failed.`)
process.exitCode = failed > 0 ? 1 : 0

/** dist/box/*.js, or a clear message when the project has not been built. */
async function loadModules() {
  const load = (name) => import(new URL(`../dist/box/${name}.js`, import.meta.url).href)
  try {
    const [catalog, checksums, types] = await Promise.all([load('catalog'), load('checksums'), load('types')])
    return {catalog, checksums, types}
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error
    console.error('check-catalog: dist/ is missing or stale. Run `npm run build` first.')
    process.exit(2)
  }
}

/** The whole catalog, or the boxes named (by name or alias) on the command line. */
async function selectEntries(names) {
  if (names.length === 0) return loadCatalog()
  const found = await Promise.all(names.map((name) => findCatalogEntry(CATALOG_DIR, name)))
  const unknown = names.filter((_, i) => !found[i])
  if (unknown.length > 0) {
    console.error(`check-catalog: no box named ${unknown.join(', ')} (see \`vm box list --available\`).`)
    process.exit(2)
  }
  return found
}

/** The checks for one image: its checksum source, then a HEAD for the official URL and each mirror. */
function checksFor(entry, arch, image) {
  const label = `${entry.name} ${arch}`
  const official = {size: undefined}
  return [
    () => checkChecksum(label, image),
    () => checkReachable(label, 'image', image.url, official, true),
    ...image.mirrors.map((mirror) => () => checkReachable(label, 'mirror', mirror, official, false)),
  ]
}

async function checkChecksum(label, image) {
  const fileName = decodeURIComponent(new URL(image.url).pathname.split('/').pop())
  const checksum = image.checksum
  if (!('checksumUrl' in checksum)) {
    return {status: 'ok', label, what: 'checksum', detail: `pinned ${checksum.algorithm} ${short(checksum.digest)}`}
  }
  const where = checksum.checksumUrl
  let text
  try {
    text = await got(where, {headers: HEADERS, timeout: TIMEOUT, retry: {limit: 2}}).text()
  } catch (error) {
    return {status: 'FAIL', label, what: 'checksum', detail: `${where}: ${describeError(error)}`}
  }
  let entry
  try {
    entry = findDigest(parseChecksumFile(text), fileName, checksum.algorithm, `The checksum file ${where}`, {
      checksumUrl: where,
    })
  } catch (error) {
    return {status: 'FAIL', label, what: 'checksum', detail: error.message}
  }
  if (!entry) return {status: 'FAIL', label, what: 'checksum', detail: `${where} does not list ${fileName}`}
  const how =
    entry.fileName === '' // BESIDE: a bare digest, for the image the file sits beside
      ? `holds a bare digest for ${fileName}`
      : `lists ${fileName}${entry.fileName === fileName ? '' : ` (as ${entry.fileName})`}`
  const detail = `${lastSegment(where)} ${how}: ${entry.algorithm} ${short(entry.digest)}`
  const weaker = entry.algorithm !== checksum.algorithm ? `; the catalog expects ${checksum.algorithm}` : ''
  return {status: weaker ? 'warn' : 'ok', label, what: 'checksum', detail: detail + weaker}
}

/**
 * HEAD (following redirects, as a download would); a server that refuses HEAD gets a one-byte GET.
 * The official URL's size is remembered so that each mirror can be compared with it.
 */
async function checkReachable(label, what, url, official, isOfficial) {
  let response
  try {
    response = await got(url, {method: 'HEAD', headers: HEADERS, timeout: TIMEOUT, retry: {limit: 1}})
  } catch (error) {
    if (![403, 405, 501].includes(error?.response?.statusCode)) {
      return {status: 'FAIL', label, what, detail: `${url}: ${describeError(error)}`}
    }
    try {
      response = await got(url, {headers: {...HEADERS, range: 'bytes=0-0'}, timeout: TIMEOUT, retry: {limit: 1}})
    } catch (retryError) {
      return {status: 'FAIL', label, what, detail: `${url}: ${describeError(retryError)}`}
    }
  }
  const size = sizeOf(response)
  if (isOfficial) official.size = size
  const served = response.redirectUrls.length > 0 ? ` via ${new URL(response.url).host}` : ''
  const detail = `${url}: ${response.statusCode}${size === undefined ? '' : `, ${formatSize(size)}`}${served}`
  if (!isOfficial && size !== undefined && official.size !== undefined && size !== official.size) {
    return {status: 'warn', label, what, detail: `${detail}; the official URL has ${formatSize(official.size)}`}
  }
  return {status: 'ok', label, what, detail}
}

/** The file's full size: Content-Length for HEAD, the total of Content-Range for a ranged GET. */
function sizeOf(response) {
  const range = /\/(\d+)$/.exec(response.headers['content-range'] ?? '')
  if (range) return Number(range[1])
  const length = response.headers['content-length']
  return length === undefined ? undefined : Number(length)
}

/**
 * Runs the groups of checks (one group per image) with at most `limit` groups at once, but reports
 * the results in their original order so that the output reads box by box. Within a group the checks
 * run one after another: the mirrors compare with the official URL's size, which the check before
 * them records.
 */
async function runInOrder(groups, limit, report) {
  const total = groups.reduce((sum, group) => sum + group.length, 0)
  const results = new Array(total)
  const starts = groups.map((_, i) => groups.slice(0, i).reduce((sum, group) => sum + group.length, 0))
  let reported = 0
  let next = 0
  const worker = async () => {
    while (next < groups.length) {
      const g = next++
      for (const [i, check] of groups[g].entries()) {
        results[starts[g] + i] = await check()
        while (reported < total && results[reported] !== undefined) report(results[reported++])
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, groups.length)}, worker))
  return results
}

function formatResult({status, label, what, detail}) {
  return `${status.padEnd(4)}  ${label.padEnd(28)}  ${what.padEnd(8)}  ${detail}`
}

function describeError(error) {
  const code = error?.response?.statusCode
  if (code) return `HTTP ${code}${error.response.statusMessage ? ` ${error.response.statusMessage}` : ''}`
  return error?.code ? `${error.code} (${error.message})` : String(error?.message ?? error)
}

function short(digest) {
  return `${digest.slice(0, 16)}…`
}

function lastSegment(url) {
  return new URL(url).pathname.split('/').pop()
}

function formatSize(bytes) {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${bytes} byte${bytes === 1 ? '' : 's'}`
}
