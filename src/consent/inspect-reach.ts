/** Where a Vmfile's host paths really lead, for reach.ts: the thin part that asks the file system. */
import {realpath} from 'node:fs/promises'
import {dirname, join, basename} from 'node:path'

import type {Vmfile} from '../vmfile/types.js'
import {hostPathsOf, listReach, type ReachItem} from './reach.js'

/**
 * PATH with every symlink resolved. A path that does not exist (yet) resolves through its
 * nearest existing parent, so `./missing/../../etc` is still seen for what it is.
 */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path)
  } catch {
    const parent = dirname(path)
    if (parent === path) return path
    return join(await realPathOf(parent), basename(path))
  }
}

export type Reach = {readonly projectReal: string; readonly items: readonly ReachItem[]}

/** The items of VMFILE that reach beyond its project, as they are on disk now. */
export async function inspectReach(vmfile: Vmfile): Promise<Reach> {
  const projectReal = await realPathOf(vmfile.projectDir)
  const real = new Map<string, string>()
  for (const {path} of hostPathsOf(vmfile)) if (!real.has(path)) real.set(path, await realPathOf(path))
  return {projectReal, items: listReach(vmfile, projectReal, (path) => real.get(path) ?? path)}
}
