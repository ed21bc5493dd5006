import {relative, sep} from 'node:path'

import type {ChangeSet} from './sync-changes.js'
import type {ExcludeMatcher} from './exclude.js'

/** chokidar's event names, the only ones that say something changed on disk. */
export type WatchEvent = 'add' | 'addDir' | 'change' | 'unlink' | 'unlinkDir'

export type Change = {readonly kind: 'changed' | 'removed'; readonly rel: string}

/**
 * What a watcher event means for the sync: the path relative to the folder (`/`-separated; ''
 * for the folder itself), or undefined for an excluded path or one outside the folder. The event
 * tells the entry's type even after it is gone, so directory-only excludes work on removals too.
 */
export function changeOf(root: string, event: WatchEvent, path: string, isExcluded: ExcludeMatcher): Change | undefined {
  const rel = relative(root, path).split(sep).join('/')
  if (rel === '..' || rel.startsWith('../') || rel.startsWith('/')) return undefined
  if (isExcluded(rel, event === 'addDir' || event === 'unlinkDir')) return undefined
  return {kind: event === 'unlink' || event === 'unlinkDir' ? 'removed' : 'changed', rel}
}

export type BatcherOptions = {
  /** Quiet time after the last change before a batch goes. */
  readonly debounceMs: number
  /** The longest a change waits while changes keep coming (a build writing for minutes). Default 10× debounce. */
  readonly maxWaitMs?: number
  readonly run: (batch: ChangeSet) => Promise<void>
  /** Told when run() rejects; the batcher goes on with later changes. */
  readonly onError: (error: unknown) => void
}

/**
 * Collects one folder's changes over a debounce window and hands them to run() as one batch,
 * never starting a batch while the previous one runs: changes that arrive meanwhile wait and go
 * in the next batch, as soon as the running one ends (if their quiet time has passed). A path
 * both changed and removed within a window is in both lists; the sync looks at the disk.
 */
export class ChangeBatcher {
  private readonly changed = new Set<string>()
  private readonly removed = new Set<string>()
  private firstAt: number | undefined
  private lastAt = 0
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private closed = false

  constructor(private readonly options: BatcherOptions) {}

  add(change: Change): void {
    if (this.closed) return
    ;(change.kind === 'changed' ? this.changed : this.removed).add(change.rel)
    const now = Date.now()
    this.firstAt ??= now
    this.lastAt = now
    this.schedule()
  }

  /** True while a batch runs or changes wait. */
  get busy(): boolean {
    return this.running !== undefined || this.changed.size + this.removed.size > 0
  }

  /**
   * Stops: drops waiting changes, starts nothing more, and resolves once the running batch (if
   * any) has settled.
   */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    this.changed.clear()
    this.removed.clear()
    await this.running
  }

  private schedule(): void {
    if (this.running || this.closed || this.changed.size + this.removed.size === 0) return
    clearTimeout(this.timer)
    const maxWait = this.options.maxWaitMs ?? this.options.debounceMs * 10
    const due = Math.min(this.lastAt + this.options.debounceMs, (this.firstAt ?? this.lastAt) + maxWait)
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - Date.now()))
  }

  private flush(): void {
    this.timer = undefined
    if (this.running || this.closed) return
    const batch = {changed: [...this.changed].sort(), removed: [...this.removed].sort()}
    this.changed.clear()
    this.removed.clear()
    this.firstAt = undefined
    // Through then(): a run() that throws at once is handled like one that rejects.
    this.running = Promise.resolve()
      .then(() => this.options.run(batch))
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.running = undefined
        this.schedule()
      })
  }
}
