import {mkdirSync, rmSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {isDeepStrictEqual} from 'node:util'

import {VmError} from '../../../src/errors.js'
import {syncChanges, type ChangeSet} from '../../../src/folders/sync-changes.js'
import {watchFolders} from '../../../src/folders/watch-folder.js'
import type {SyncedFolder} from '../../../src/vmfile/types.js'
import {folderOf, LocalGuestRunner, makeTree, readTree, removeDir, target, tempDir} from './helpers.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

type Seen = {folder: string; batch: ChangeSet}

/** Starts watching; resolves once the watchers are ready. */
async function start(folders: SyncedFolder[], onBatch: (folder: SyncedFolder, batch: ChangeSet) => Promise<void>, extra: {initialSync?: boolean} = {}) {
  const controller = new AbortController()
  let ready!: () => void
  const isReady = new Promise<void>((resolve) => (ready = resolve))
  const done = watchFolders(folders, onBatch, {signal: controller.signal, debounceMs: 50, onReady: ready, ...extra})
  await Promise.race([isReady, done])
  return {controller, done}
}

describe('folders/watch-folder', function () {
  this.timeout(10_000)
  let work: string
  beforeEach(() => (work = tempDir()))
  afterEach(() => removeDir(work))

  /** Every path a batch named, merged, for assertions that do not depend on how events split. */
  function merged(seen: Seen[]): {changed: string[]; removed: string[]} {
    const changed = new Set<string>()
    const removed = new Set<string>()
    for (const {batch} of seen) {
      batch.changed.forEach((p) => changed.add(p))
      batch.removed.forEach((p) => removed.add(p))
    }
    return {changed: [...changed].sort(), removed: [...removed].sort()}
  }

  it('reports created, modified and deleted files and folders as batches, and stops on abort', async () => {
    const root = join(work, 'app')
    makeTree(root, {'old.txt': 'file:o', 'edit.txt': 'file:1', olddir: 'dir', 'olddir/x': 'file:x'})
    const seen: Seen[] = []
    const {controller, done} = await start([folderOf(root, '/srv/app')], async (folder, batch) => void seen.push({folder: folder.hostPath, batch}))

    writeFileSync(join(root, 'new file.txt'), 'n')
    writeFileSync(join(root, 'edit.txt'), '2')
    unlinkSync(join(root, 'old.txt'))
    mkdirSync(join(root, 'nested/deeper'), {recursive: true})
    writeFileSync(join(root, 'nested/deeper/leaf'), 'l')
    rmSync(join(root, 'olddir'), {recursive: true})

    await until(() => {
      const {changed, removed} = merged(seen)
      return changed.includes('nested/deeper/leaf') && changed.includes('edit.txt') && changed.includes('new file.txt') && removed.includes('old.txt') && removed.includes('olddir')
    }, 'all changes')
    const {changed, removed} = merged(seen)
    expect(changed).to.include.members(['new file.txt', 'edit.txt', 'nested', 'nested/deeper/leaf'])
    expect(removed).to.include.members(['old.txt', 'olddir'])
    expect(seen.every((s) => s.folder === root)).to.equal(true)
    // Debounced: a handful of batches, not one per event.
    expect(seen.length).to.be.below(5)

    controller.abort()
    await done
    const count = seen.length
    writeFileSync(join(root, 'after-stop'), 'x')
    await sleep(150)
    expect(seen.length).to.equal(count)
  })

  it('ignores .vm/ and excluded paths', async () => {
    const root = join(work, 'app')
    makeTree(root, {'.vm': 'dir', node_modules: 'dir', logs: 'dir'})
    const seen: Seen[] = []
    const {controller, done} = await start([folderOf(root, '/srv/app', ['node_modules/', '*.log'])], async (folder, batch) => void seen.push({folder: folder.hostPath, batch}))

    writeFileSync(join(root, '.vm/state'), 's')
    mkdirSync(join(root, '.vm/tmp/sync-1'), {recursive: true})
    writeFileSync(join(root, 'node_modules/m.js'), 'm')
    writeFileSync(join(root, 'logs/today.log'), 'l')
    writeFileSync(join(root, 'marker'), 'm')

    await until(() => merged(seen).changed.includes('marker'), 'the marker')
    await sleep(150)
    expect(merged(seen)).to.deep.equal({changed: ['marker'], removed: []})
    controller.abort()
    await done
  })

  it('watches several folders, each with its own batches, never two syncs of one folder at once', async () => {
    const a = join(work, 'a')
    const b = join(work, 'b')
    makeTree(a, {})
    makeTree(b, {})
    const seen: Seen[] = []
    const active = new Set<string>()
    let overlapped = false
    const {controller, done} = await start([folderOf(a, '/a'), folderOf(b, '/b')], async (folder, batch) => {
      overlapped ||= active.has(folder.hostPath)
      active.add(folder.hostPath)
      seen.push({folder: folder.hostPath, batch})
      await sleep(100)
      active.delete(folder.hostPath)
    })
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(a, `f${i}`), 'x')
      writeFileSync(join(b, `g${i}`), 'x')
      await sleep(40)
    }
    await until(() => merged(seen.filter((s) => s.folder === a)).changed.length === 5 && merged(seen.filter((s) => s.folder === b)).changed.length === 5, 'both folders')
    expect(overlapped).to.equal(false)
    expect(merged(seen.filter((s) => s.folder === b)).changed).to.deep.equal(['g0', 'g1', 'g2', 'g3', 'g4'])
    controller.abort()
    await done
  })

  it('starts with a batch naming the folder itself when asked for an initial sync', async () => {
    const root = join(work, 'app')
    makeTree(root, {a: 'file:a'})
    const seen: Seen[] = []
    const {controller, done} = await start([folderOf(root, '/srv/app')], async (folder, batch) => void seen.push({folder: folder.hostPath, batch}), {initialSync: true})
    await until(() => seen.length === 1, 'the initial batch')
    expect(seen[0]!.batch).to.deep.equal({changed: [''], removed: []})
    controller.abort()
    await done
  })

  it('rejects, after stopping, when onBatch fails', async () => {
    const root = join(work, 'app')
    makeTree(root, {})
    const {done} = await start([folderOf(root, '/srv/app')], async () => {
      throw new VmError('sync broke', {code: 'FOLDER_SYNC_FAILED'})
    })
    writeFileSync(join(root, 'x'), 'x')
    const error = await done.then(() => undefined, (e: unknown) => e)
    expect((error as VmError).code).to.equal('FOLDER_SYNC_FAILED')
  })

  it('resolves at once for an aborted signal or no folders', async () => {
    const controller = new AbortController()
    controller.abort()
    await watchFolders([folderOf(work, '/x')], async () => {}, {signal: controller.signal})
    await watchFolders([], async () => {}, {signal: new AbortController().signal})
  })

  it('refuses a host folder that does not exist', async () => {
    const error = await watchFolders([folderOf(join(work, 'missing'), '/x')], async () => {}, {signal: new AbortController().signal}).catch((e: unknown) => e)
    expect((error as VmError).code).to.equal('FOLDER_HOST_PATH_MISSING')
  })

  it('keeps a guest folder mirrored through watch batches and incremental syncs', async () => {
    const root = join(work, 'app')
    const guest = join(work, 'guest', 'app')
    makeTree(root, {'a.txt': 'file:a', src: 'dir', 'src/main.c': 'file:m', gone: 'dir', 'gone/x': 'file:x', node_modules: 'dir'})
    const folder = folderOf(root, guest, ['node_modules/'])
    const runner = new LocalGuestRunner()
    const fulls: boolean[] = []
    const {controller, done} = await start(
      [folder],
      async (f, batch) => {
        const summary = await syncChanges({runner, target, folder: f, tmpDir: join(root, '.vm', 'tmp'), sudo: false, ...batch})
        fulls.push(summary.full)
      },
      {initialSync: true},
    )
    const mirrored = () => {
      const host = Object.fromEntries(Object.entries(readTree(root)).filter(([rel]) => !/^(\.vm|node_modules)(\/|$)/.test(rel)))
      try {
        return isDeepStrictEqual(readTree(guest), host)
      } catch {
        return false
      }
    }
    await until(mirrored, 'the initial sync')
    writeFileSync(join(root, 'a.txt'), 'a2')
    writeFileSync(join(root, "src/it's new"), 'n')
    mkdirSync(join(root, 'src/lib/deep'), {recursive: true})
    writeFileSync(join(root, 'src/lib/deep/z'), 'z')
    rmSync(join(root, 'gone'), {recursive: true})
    writeFileSync(join(root, 'node_modules/ignored.js'), 'i')
    await until(mirrored, 'the changes')
    expect(fulls[0]).to.equal(true)
    expect(fulls.slice(1).every((full) => !full)).to.equal(true)
    controller.abort()
    await done
  })
})
