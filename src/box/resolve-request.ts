import {VmError} from '../errors.js'
import type {VmHome} from '../home.js'
import type {BoxSource} from '../vmfile/types.js'
import {CATALOG_DIR, resolveBox} from './catalog.js'
import {listNamedBoxes, readNamedBox, type NamedBox} from './named-boxes.js'
import type {BoxRequest} from './types.js'

/**
 * A Vmfile's `box:` as one image to fetch. A name means a box the user added (`vm box add`) first,
 * then the catalog: like a local variable shadowing a global, the user's own choice wins.
 */
export async function resolveBoxRequest(
  source: BoxSource,
  arch: string,
  home: VmHome,
  catalogDir: string = CATALOG_DIR,
): Promise<BoxRequest> {
  if (source.kind === 'catalog') {
    const named = await readNamedBox(home, source.name)
    if (named) return namedBoxRequest(named)
  }
  try {
    return await resolveBox(source, arch, catalogDir)
  } catch (error) {
    if (!(error instanceof VmError) || error.code !== 'BOX_NOT_FOUND') throw error
    const added = (await listNamedBoxes(home)).map((box) => box.name)
    if (added.length === 0) throw error
    throw new VmError(error.message, {
      code: error.code,
      exitCode: error.exitCode,
      detail: `${error.detail ?? ''}\nAdded boxes: ${added.join(', ')}`.trim(),
      hint: error.hint,
    })
  }
}

/** An added box is pinned to the exact bytes that were added: the same image every time. */
export function namedBoxRequest(named: NamedBox): BoxRequest {
  return {name: named.name, url: named.source, checksum: {algorithm: 'sha256', digest: named.sha256}, mirrors: []}
}
