import {expect} from 'chai'

import {ChangeBatcher, changeOf} from '../../../src/folders/change-batch.js'
import {compileExcludes} from '../../../src/folders/exclude.js'
import type {ChangeSet} from '../../../src/folders/sync-changes.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until CONDITION holds (at most 2 s): timers, not a fixed sleep, decide when batches go. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await sleep(5)
  }
}

describe('folders/change-batch', () => {
  describe('changeOf', () => {
    const isExcluded = compileExcludes(['build/', '*.log'])
    const root = '/p/app'

    it('maps events to relative changed/removed paths', () => {
      expect(changeOf(root, 'add', '/p/app/src/a.ts', isExcluded)).to.deep.equal({kind: 'changed', rel: 'src/a.ts'})
      expect(changeOf(root, 'change', '/p/app/a b', isExcluded)).to.deep.equal({kind: 'changed', rel: 'a b'})
      expect(changeOf(root, 'addDir', '/p/app/new', isExcluded)).to.deep.equal({kind: 'changed', rel: 'new'})
      expect(changeOf(root, 'unlink', '/p/app/x', isExcluded)).to.deep.equal({kind: 'removed', rel: 'x'})
      expect(changeOf(root, 'unlinkDir', '/p/app/d', isExcluded)).to.deep.equal({kind: 'removed', rel: 'd'})
      expect(changeOf(root, 'unlinkDir', '/p/app', isExcluded)).to.deep.equal({kind: 'removed', rel: ''})
    })

    it('drops excluded paths (using the event to tell directories), .vm/, and paths outside', () => {
      expect(changeOf(root, 'unlinkDir', '/p/app/build', isExcluded)).to.equal(undefined)
      expect(changeOf(root, 'unlink', '/p/app/build', isExcluded)).to.deep.equal({kind: 'removed', rel: 'build'})
      expect(changeOf(root, 'add', '/p/app/build/out.o', isExcluded)).to.equal(undefined)
      expect(changeOf(root, 'change', '/p/app/x/y.log', isExcluded)).to.equal(undefined)
      expect(changeOf(root, 'add', '/p/app/.vm/tmp/sync-1/folder.tar', isExcluded)).to.equal(undefined)
      expect(changeOf(root, 'add', '/p/other/x', isExcluded)).to.equal(undefined)
      expect(changeOf(root, 'add', '/p/app/..x', isExcluded)).to.deep.equal({kind: 'changed', rel: '..x'})
    })
  })

  describe('ChangeBatcher', () => {
    let batcher: ChangeBatcher | undefined
    afterEach(async () => batcher?.close())

    it('merges changes into one batch after a quiet time', async () => {
      const batches: ChangeSet[] = []
      batcher = new ChangeBatcher({debounceMs: 40, run: async (b) => void batches.push(b), onError: (e) => expect.fail(String(e))})
      batcher.add({kind: 'changed', rel: 'b'})
      batcher.add({kind: 'changed', rel: 'a'})
      await sleep(20)
      batcher.add({kind: 'removed', rel: 'c'})
      batcher.add({kind: 'changed', rel: 'a'})
      batcher.add({kind: 'changed', rel: 'c'})
      await sleep(25)
      expect(batches).to.deep.equal([])
      await until(() => batches.length === 1)
      expect(batches).to.deep.equal([{changed: ['a', 'b', 'c'], removed: ['c']}])
      await sleep(60)
      expect(batches.length).to.equal(1)
    })

    it('never runs two batches at once; changes during a run go in the next batch', async () => {
      const batches: ChangeSet[] = []
      let running = 0
      let overlapped = false
      let release!: () => void
      batcher = new ChangeBatcher({
        debounceMs: 10,
        run: async (b) => {
          overlapped ||= running > 0
          running++
          batches.push(b)
          if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve))
          running--
        },
        onError: (e) => expect.fail(String(e)),
      })
      batcher.add({kind: 'changed', rel: 'first'})
      await until(() => batches.length === 1)
      batcher.add({kind: 'changed', rel: 'second'})
      batcher.add({kind: 'removed', rel: 'third'})
      await sleep(50)
      expect(batches.length).to.equal(1)
      expect(batcher.busy).to.equal(true)
      release()
      await until(() => batches.length === 2)
      expect(batches[1]).to.deep.equal({changed: ['second'], removed: ['third']})
      expect(overlapped).to.equal(false)
      await until(() => !batcher!.busy)
    })

    it('sends a batch after maxWait even while changes keep coming', async () => {
      const batches: ChangeSet[] = []
      batcher = new ChangeBatcher({debounceMs: 50, maxWaitMs: 100, run: async (b) => void batches.push(b), onError: (e) => expect.fail(String(e))})
      const started = Date.now()
      for (let i = 0; Date.now() - started < 300 && batches.length === 0; i++) {
        batcher.add({kind: 'changed', rel: `f${i}`})
        await sleep(10)
      }
      expect(batches.length).to.equal(1)
      expect(Date.now() - started).to.be.below(250)
    })

    it('reports a failed batch and goes on with later changes', async () => {
      const errors: unknown[] = []
      const batches: ChangeSet[] = []
      batcher = new ChangeBatcher({
        debounceMs: 10,
        run: async (b) => {
          batches.push(b)
          if (batches.length === 1) throw new Error('sync failed')
        },
        onError: (e) => errors.push(e),
      })
      batcher.add({kind: 'changed', rel: 'a'})
      await until(() => errors.length === 1)
      batcher.add({kind: 'changed', rel: 'b'})
      await until(() => batches.length === 2)
      expect((errors[0] as Error).message).to.equal('sync failed')
    })

    it('close() drops waiting changes and waits for the running batch', async () => {
      const batches: ChangeSet[] = []
      let finished = false
      batcher = new ChangeBatcher({
        debounceMs: 10,
        run: async (b) => {
          batches.push(b)
          await sleep(50)
          finished = true
        },
        onError: (e) => expect.fail(String(e)),
      })
      batcher.add({kind: 'changed', rel: 'a'})
      await until(() => batches.length === 1)
      batcher.add({kind: 'changed', rel: 'dropped'})
      await batcher.close()
      expect(finished).to.equal(true)
      batcher.add({kind: 'changed', rel: 'after close'})
      await sleep(40)
      expect(batches.length).to.equal(1)
    })
  })
})
