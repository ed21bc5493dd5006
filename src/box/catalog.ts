import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {VmError} from '../errors.js'
import type {BoxSource} from '../vmfile/types.js'
import {didYouMean} from '../vmfile/did-you-mean.js'
import {userChecksum} from './user-checksum.js'
import {CATALOG_NAME, parseCatalogEntry, type CatalogEntry, type CatalogImage} from './catalog-entry.js'
import {imageFileName, labelFromFileName, parseLocation} from './location.js'
import {ARCHES, type Arch, type BoxRequest, type ChecksumSource} from './types.js'

export {parseCatalogEntry, type CatalogEntry, type CatalogImage} from './catalog-entry.js'

/**
 * The box catalog (boxes/*.yaml at the package root) and how a Vmfile's box becomes one image to
 * fetch: reading the catalog, picking the architecture, checking URL boxes.
 */

/** boxes/ at the package root: two levels up from both src/box/ (tsx) and dist/box/ (build). */
export const CATALOG_DIR = fileURLToPath(new URL('../../boxes/', import.meta.url))

/**
 * Every entry in the catalog folder, in name order (see compareBoxNames). Throws BOX_CATALOG_INVALID
 * on the first bad file, or when two boxes claim the same name or alias.
 */
export async function loadCatalog(dir: string = CATALOG_DIR): Promise<CatalogEntry[]> {
  const names = await listCatalogNames(dir)
  const entries = await Promise.all(
    names.map(async (name) => {
      const file = join(dir, `${name}.yaml`)
      return parseCatalogEntry(name, await readFile(file, 'utf8'), file)
    }),
  )
  checkAliasesUnique(entries, dir)
  return entries
}

/** The names of the catalog's boxes (file names without .yaml), in name order (see compareBoxNames). */
export async function listCatalogNames(dir: string = CATALOG_DIR): Promise<string[]> {
  const files = await readdir(dir)
  return files
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.slice(0, -'.yaml'.length))
    .sort(compareBoxNames)
}

/**
 * Orders box names the way people count: numbers inside a name compare by value, so almalinux-9
 * comes before almalinux-10 and ubuntu-26.04 before ubuntu-26.10. Code-unit order otherwise, so the
 * result is the same on every host whatever its locale.
 */
export function compareBoxNames(a: string, b: string): number {
  const partsA = a.match(/\d+|\D+/g) ?? []
  const partsB = b.match(/\d+|\D+/g) ?? []
  for (let i = 0; i < Math.min(partsA.length, partsB.length); i++) {
    const x = partsA[i] as string
    const y = partsB[i] as string
    const numeric = /^\d/.test(x) && /^\d/.test(y)
    const order = numeric ? Number(x) - Number(y) || x.length - y.length : x < y ? -1 : x > y ? 1 : 0
    if (order !== 0) return order
  }
  return partsA.length - partsB.length
}

/**
 * The entry a Vmfile's box name means: the box of that name, else the box that lists it as an alias.
 * Undefined when the catalog has neither. Reading the whole catalog happens only for an alias (or a
 * miss), so the common case stays one small file.
 */
export async function findCatalogEntry(dir: string, name: string): Promise<CatalogEntry | undefined> {
  if (!CATALOG_NAME.test(name)) return undefined
  const file = join(dir, `${name}.yaml`)
  let text: string | undefined
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (text !== undefined) return parseCatalogEntry(name, text, file)
  return (await loadCatalog(dir)).find((entry) => entry.aliases.includes(name))
}

/**
 * An alias must lead to one box: it may not be claimed twice, nor shadow another box's name (the
 * name would win, silently making the alias mean something else than its file says).
 */
function checkAliasesUnique(entries: readonly CatalogEntry[], dir: string): void {
  const names = new Set(entries.map((entry) => entry.name))
  const claimedBy = new Map<string, string>()
  const problems: string[] = []
  for (const entry of entries) {
    for (const alias of entry.aliases) {
      const file = join(dir, `${entry.name}.yaml`)
      const other = claimedBy.get(alias)
      if (names.has(alias)) problems.push(`${file} aliases: ${alias} is the name of another box`)
      else if (other) problems.push(`${file} aliases: ${alias} is already an alias of ${other}`)
      else claimedBy.set(alias, entry.name)
    }
  }
  if (problems.length > 0) {
    throw new VmError(`The box catalog in ${dir} gives the same name to more than one box.`, {
      code: 'BOX_CATALOG_INVALID',
      detail: problems.join('\n'),
    })
  }
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
    if (!image || !isArch(arch)) {
      const called = source.name === entry.name ? entry.name : `${source.name} (${entry.name})`
      throw new VmError(`The box ${called} has no image for ${arch}.`, {
        code: 'BOX_ARCH_UNSUPPORTED',
        detail: `It has images for: ${Object.keys(entry.images).join(', ')}.`,
      })
    }
    return catalogRequest(entry, arch, image)
  }
  const location = parseLocation(source.url)
  const request: BoxRequest = {
    name: labelFromFileName(imageFileName(location)),
    url: source.url,
    mirrors: [],
    checksum: urlChecksum(source),
  }
  if (!request.checksum && location.kind === 'http') {
    throw new VmError(`Refusing to download ${source.url} without a checksum.`, {
      code: 'BOX_UNVERIFIED',
      exitCode: 2,
      hint: "Add sha256: <digest> or checksum_url: <the distribution's SHA256SUMS> beside the box URL in the Vmfile.",
    })
  }
  return request
}

/** A catalog box as the request for one architecture. The request names the box, never the alias used. */
function catalogRequest(entry: CatalogEntry, arch: Arch, image: CatalogImage): BoxRequest {
  return {
    name: entry.name,
    title: entry.title,
    url: image.url,
    mirrors: image.mirrors,
    checksum: image.checksum,
    osId: entry.osId,
    defaultUser: entry.defaultUser,
    firmware: entry.firmware,
    ...(arch === 'x86_64' && entry.x86_64Level !== undefined ? {x86_64Level: entry.x86_64Level} : {}),
  }
}

function isArch(arch: string): arch is Arch {
  return (ARCHES as readonly string[]).includes(arch)
}

function urlChecksum(source: Extract<BoxSource, {kind: 'url'}>): ChecksumSource | undefined {
  return userChecksum(source.url, source)
}

async function notFound(name: string, catalogDir: string): Promise<VmError> {
  const entries = await loadCatalog(catalogDir)
  const candidates = entries.flatMap((entry) => [entry.name, ...entry.aliases])
  const suggestion = didYouMean(name, candidates)
  const message = `There is no box named ${JSON.stringify(name)}${suggestion ? `; did you mean ${suggestion}?` : '.'}`
  const known = entries.map((entry) => (entry.aliases.length > 0 ? `${entry.name} (${entry.aliases.join(', ')})` : entry.name))
  return new VmError(message, {
    code: 'BOX_NOT_FOUND',
    exitCode: 2,
    detail: `Known boxes (and their aliases): ${known.join(', ')}`,
    hint: 'Use one of the known boxes (`vm box list --available`), or give the image as url: with its sha256 or checksum_url.',
  })
}
