import {VmError} from '../errors.js'
import {withFileLock} from '../util/file-lock.js'
import {ensureBox, type EnsureBoxOptions} from './cache.js'
import {importBox, type ImportedBox, type ImportOptions} from './pool-import.js'
import {boxCacheRoot, lockPathFor} from './store.js'
import type {BoxRequest} from './types.js'

export type ProvideBoxOptions = EnsureBoxOptions & Omit<ImportOptions, 'signal' | 'log'>

export type ProvidedBox = ImportedBox & {
  readonly fromCache: boolean
  readonly fetchedBytes: number
}

/**
 * Fetches (or finds) the box and makes it a volume of the pool, holding the source's lock across
 * both: a second `vm` process wanting the same box waits, then finds it done, instead of
 * downloading it again or uploading over a volume that is being written.
 */
export async function provideBox(request: BoxRequest, options: ProvideBoxOptions): Promise<ProvidedBox> {
  const lock = lockPathFor(boxCacheRoot(options.home), request.url)
  return withFileLock(
    lock,
    {
      signal: options.signal,
      log: options.log,
      onWait: () => options.log(`Waiting for another vm process that is fetching ${request.name}...`),
    },
    async () => {
      // Twice at most: the second time, the entry whose every copy had vanished is fetched afresh.
      for (let round = 0; round < 2; round++) {
        const ensured = await ensureBox(request, options)
        const imported = await importBox(ensured.entry, options)
        if (imported) return {...imported, fromCache: ensured.fromCache, fetchedBytes: ensured.fetchedBytes}
        options.log(`The cached copy of ${request.name} is gone from disk and from libvirt; fetching it again.`)
      }
      throw new VmError(`Box ${request.name} vanished from the cache while it was being imported.`, {
        code: 'BOX_CACHE_INCONSISTENT',
        hint: 'Run the command again; if it keeps failing, run `vm box remove` for this box and retry.',
      })
    },
  )
}
