import {relative, sep} from 'node:path'

import {watch, type FSWatcher} from 'chokidar'

import {VmError} from '../errors.js'
import type {SyncedFolder} from '../vmfile/types.js'
import {ChangeBatcher, changeOf, type WatchEvent} from './change-batch.js'
import {compileExcludes} from './exclude.js'
import type {ChangeSet} from './sync-changes.js'
import {requireFolder} from './sync-folder.js'

export type WatchOptions = {
  /** Aborting it stops the watchers; the promise resolves once a running batch has settled. */
  readonly signal: AbortSignal
  /** Quiet time before a batch goes (default 300 ms). */
  readonly debounceMs?: number
  /** Called once every folder's watcher has read its tree: changes from then on are seen. */
  readonly onReady?: () => void
  /**
   * Start each folder with a batch naming the folder itself (changed: ['']), which syncChanges
   * turns into a full sync: the first copy then goes through the same per-folder queue as the
   * changes, and nothing changed between that copy and the watch start is missed.
   */
  readonly initialSync?: boolean
}

const WATCH_EVENTS: ReadonlySet<string> = new Set<WatchEvent>(['add', 'addDir', 'change', 'unlink', 'unlinkDir'])

/**
 * Watches each folder's host path recursively and calls onBatch with the folder's changes
 * (relative paths), batched over a debounce window, at most one call per folder at a time.
 * `.vm/` and the folder's excludes are never watched (no inotify watch is spent on a huge
 * excluded node_modules) and never reported.
 *
 * chokidar, not Node's own `fs.watch(dir, {recursive: true})`: on Linux, Node 20 implements
 * recursion in JavaScript by polling every file with fs.watchFile (one stat timer per file, changes
 * seen seconds late), cannot skip excluded folders, and misses files in directories created just
 * after their parent (nodejs/node#48437). chokidar keeps one inotify watch per directory,
 * prunes with our exclude matcher, and rescans new directories.
 *
 * Resolves when the signal aborts. Rejects (after stopping every watcher) when a watcher fails
 * (an unreadable directory, the inotify watch limit) or when onBatch rejects: an onBatch that
 * wants to survive a failed sync catches it itself, and should then plan a full sync, as that
 * batch's paths are not offered again.
 */
export async function watchFolders(
  folders: readonly SyncedFolder[],
  onBatch: (folder: SyncedFolder, batch: ChangeSet) => Promise<void>,
  options: WatchOptions,
): Promise<void> {
  const {signal} = options
  if (signal.aborted || folders.length === 0) return
  // chokidar watches a missing path silently (and forever); say so instead.
  for (const folder of folders) await requireFolder(folder.hostPath)
  await new Promise<void>((resolve, reject) => {
    const watchers: FSWatcher[] = []
    const batchers: ChangeBatcher[] = []
    let stopping = false
    const stop = (error?: unknown): void => {
      // Failures after the stop began (an interrupted sync) are the stop's own doing.
      if (stopping) return
      stopping = true
      signal.removeEventListener('abort', onAbort)
      void Promise.allSettled([...watchers.map((w) => w.close()), ...batchers.map((b) => b.close())]).then(() =>
        error === undefined ? resolve() : reject(error),
      )
    }
    const onAbort = (): void => stop()
    signal.addEventListener('abort', onAbort, {once: true})

    let waiting = folders.length
    for (const folder of folders) {
      const root = folder.hostPath
      const isExcluded = compileExcludes(folder.exclude)
      const batcher = new ChangeBatcher({
        debounceMs: options.debounceMs ?? 300,
        run: (batch) => onBatch(folder, batch),
        onError: (error) => stop(error),
      })
      batchers.push(batcher)
      const watcher = watch(root, {
        ignoreInitial: true,
        // A link is synced as a link; following it would watch (and report) what lies outside.
        followSymlinks: false,
        // Off: chokidar's atomic mode hides editor temp files (`*~`, `.swp`) that a full sync
        // does copy, and merges unlink+add itself; our debounce window already merges them.
        atomic: false,
        // Called without stats first: then only patterns that match any type can prune.
        ignored: (path, stats) => isExcluded(relativeIn(root, path), stats?.isDirectory() ?? false),
      })
      watchers.push(watcher)
      watcher.on('all', (event, path) => {
        if (!WATCH_EVENTS.has(event)) return
        const change = changeOf(root, event as WatchEvent, path, isExcluded)
        if (change) batcher.add(change)
      })
      watcher.on('error', (error) => stop(watchError(folder, error)))
      watcher.once('ready', () => {
        if (options.initialSync) batcher.add({kind: 'changed', rel: ''})
        if (--waiting === 0 && !stopping) options.onReady?.()
      })
    }
  })
}

function relativeIn(root: string, path: string): string {
  const rel = relative(root, path).split(sep).join('/')
  // Outside the folder (never expected): not ours to exclude.
  return rel === '..' || rel.startsWith('../') ? '' : rel
}

function watchError(folder: SyncedFolder, error: unknown): VmError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const hint =
    code === 'ENOSPC'
      ? 'The inotify watch limit is reached: exclude big folders (rsync exclude), or raise it with `sudo sysctl fs.inotify.max_user_watches=524288`.'
      : 'Fix the file system error, or exclude the path from the synced folder.'
  return new VmError(`Watching ${folder.hostPath} failed: ${(error as Error | undefined)?.message ?? String(error)}`, {
    code: 'FOLDER_WATCH_FAILED',
    hint,
    cause: error,
  })
}
