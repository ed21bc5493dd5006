import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {VmError} from '../errors.js'
import type {BoxSource} from '../vmfile/types.js'
import {didYouMean} from '../vmfile/did-you-mean.js'
import {CATALOG_NAME, parseCatalogEntry, type CatalogEntry} from './catalog-entry.js'
import {imageFileName, labelFromFileName, parseLocation} from './location.js'
import {ARCHES, isHexDigest, type Arch, type BoxRequest, type ChecksumSource} from './types.js'

export {parseCatalogEntry, type CatalogEntry, type CatalogImage} from './catalog-entry.js'

/**
 * The box catalog (boxes/*.yaml at the package root) and how a Vmfile's box becomes one image to
 * fetch: reading the catalog, picking the architecture, checking URL boxes.
 */

/** boxes/ at the package root: two levels up from both src/box/ (tsx) and dist/box/ (build). */
export const CATALOG_DIR = fileURLToPath(new URL('../../boxes/', import.meta.url))

/** Every entry in the catalog folder, sorted by name. Throws BOX_CATALOG_INVALID on the first bad file. */
export async function loadCatalog(dir: string = CATALOG_DIR): Promise<CatalogEntry[]> {
  const names = await listCatalogNames(dir)
  return Promise.all(
    names.map(async (name) => {
      const file = join(dir, `${name}.yaml`)
      return parseCatalogEntry(name, await readFile(file, 'utf8'), file)
    }),
  )
}

/** The names of the catalog's boxes (file names without .yaml), sorted. */
export async function listCatalogNames(dir: string = CATALOG_DIR): Promise<string[]> {
  const files = await readdir(dir)
  return files.filter((file) => file.endsWith('.yaml')).map((file) => file.slice(0, -'.yaml'.length)).sort()
}

/** The entry for `name`, or undefined when the catalog has no such box. */
export async function findCatalogEntry(dir: string, name: string): Promise<CatalogEntry | undefined> {
  if (!CATALOG_NAME.test(name)) return undefined
  const file = join(dir, `${name}.yaml`)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return parseCatalogEntry(name, text, file)
}

/** The libvirt architecture of this host, from Node's name for it. Throws HOST_ARCH_UNSUPPORTED otherwise. */
export function hostArch(nodeArch: string = process.arch): Arch {
  if (nodeArch === 'x64') return 'x86_64'
  if (nodeArch === 'arm64') return 'aarch64'
  const message = `This host's architecture (${nodeArch}) is not supported; vm boots x86_64 and aarch64 guests.`
  throw new VmError(message, {code: 'HOST_ARCH_UNSUPPORTED'})
}

/**
 * Turns a Vmfile box into the one image to fetch for `arch` (x86_64 or aarch64, see hostArch).
 * Reads the catalog only for catalog boxes; checks URLs and digests but touches no network.
 * A URL box is taken to suit any architecture: only the user knows what the image contains.
 *
 * Throws BOX_NOT_FOUND (unknown name, with the known names and a did-you-mean),
 * BOX_ARCH_UNSUPPORTED, BOX_INVALID_URL, BOX_INVALID_CHECKSUM and BOX_UNVERIFIED
 * (an http(s) image with no checksum at all).
 */
export async function resolveBox(
  source: BoxSource,
  arch: string,
  catalogDir: string = CATALOG_DIR,
): Promise<BoxRequest> {
  if (source.kind === 'catalog') {
    const entry = await findCatalogEntry(catalogDir, source.name)
    if (!entry) throw await notFound(source.name, catalogDir)
    const image = isArch(arch) ? entry.images[arch] : undefined
    if (!image) {
      throw new VmError(`The box ${entry.name} has no image for ${arch}.`, {
        code: 'BOX_ARCH_UNSUPPORTED',
        detail: `It has images for: ${Object.keys(entry.images).join(', ')}.`,
      })
    }
    return {name: entry.name, url: image.url, checksum: image.checksum, osId: entry.osId}
  }
  const location = parseLocation(source.url)
  const request = {name: labelFromFileName(imageFileName(location)), url: source.url, checksum: urlChecksum(source)}
  if (!request.checksum && location.kind === 'http') {
    throw new VmError(`Refusing to download ${source.url} without a checksum.`, {
      code: 'BOX_UNVERIFIED',
      exitCode: 2,
      hint: "Add sha256: <digest> or checksum_url: <the distribution's SHA256SUMS> beside the box URL in the Vmfile.",
    })
  }
  return request
}

function isArch(arch: string): arch is Arch {
  return (ARCHES as readonly string[]).includes(arch)
}

function urlChecksum(source: Extract<BoxSource, {kind: 'url'}>): ChecksumSource | undefined {
  if (source.sha256 !== undefined) {
    const digest = source.sha256.trim().toLowerCase().replace(/^sha256:/, '')
    if (!isHexDigest(digest, 'sha256')) {
      const message = `The sha256 given for ${source.url} is not 64 hex digits: ${JSON.stringify(source.sha256)}.`
      throw new VmError(message, {code: 'BOX_INVALID_CHECKSUM', exitCode: 2})
    }
    return {algorithm: 'sha256', digest}
  }
  if (source.checksumUrl !== undefined) {
    parseLocation(source.checksumUrl) // the same rules as the image: http(s), file:// or an absolute path
    // The file's name is the only hint at its algorithm before it is fetched (SHA512SUMS, sha256sum.txt).
    // A preference, not a promise: ensureBox takes whichever sha256/sha512 entry the file has.
    const fileName = source.checksumUrl.slice(source.checksumUrl.lastIndexOf('/') + 1)
    return {algorithm: fileName.includes('512') ? 'sha512' : 'sha256', checksumUrl: source.checksumUrl}
  }
  return undefined
}

async function notFound(name: string, catalogDir: string): Promise<VmError> {
  const known = await listCatalogNames(catalogDir)
  const suggestion = didYouMean(name, known)
  const message = `There is no box named ${JSON.stringify(name)}${suggestion ? `; did you mean ${suggestion}?` : '.'}`
  return new VmError(message, {
    code: 'BOX_NOT_FOUND',
    exitCode: 2,
    detail: `Known boxes: ${known.join(', ')}`,
    hint: 'Use one of the known boxes, or give the image as url: with its sha256 or checksum_url.',
  })
}
