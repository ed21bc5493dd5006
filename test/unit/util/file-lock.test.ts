import {mkdir, mkdtemp, rm, utimes} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {InterruptedError} from '../../../src/errors.js'
import {isLockHeld, withFileLock} from '../../../src/util/file-lock.js'

describe('util/file-lock', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vm-lock-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('runs one holder at a time; the second waits, says so once, then runs', async () => {
    const path = join(dir, 'locks', 'box')
    const order: string[] = []
    let waits = 0
    let releaseFirst!: () => void
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve))
    const first = withFileLock(path, {}, async () => {
      order.push('first in')
      await firstHolds
      order.push('first out')
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = withFileLock(path, {pollMs: 20, onWait: () => waits++}, async () => {
      order.push('second in')
      return 42
    })
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(order).to.deep.equal(['first in'])
    expect(await isLockHeld(path)).to.equal(true)
    releaseFirst()
    expect(await second).to.equal(42)
    await first
    expect(order).to.deep.equal(['first in', 'first out', 'second in'])
    expect(waits).to.equal(1)
    expect(await isLockHeld(path)).to.equal(false)
  })

  it('releases the lock when the work throws', async () => {
    const path = join(dir, 'box')
    await withFileLock(path, {}, async () => {
      throw new Error('boom')
    }).catch(() => undefined)
    expect(await isLockHeld(path)).to.equal(false)
  })

  it('takes over a lock whose holder died (not refreshed for staleMs)', async () => {
    const path = join(dir, 'box')
    // What a process killed with -9 leaves: the lock folder, never refreshed again.
    await mkdir(`${path}.lock`)
    const old = new Date(Date.now() - 60_000)
    await utimes(`${path}.lock`, old, old)
    expect(await withFileLock(path, {staleMs: 5000}, async () => 'ran')).to.equal('ran')
  })

  it('stops waiting when the signal fires', async () => {
    const path = join(dir, 'box')
    await mkdir(`${path}.lock`) // fresh: a live holder
    const abort = new AbortController()
    setTimeout(() => abort.abort(new InterruptedError()), 100)
    const error = await withFileLock(path, {signal: abort.signal, pollMs: 20}, async () => 'ran').catch((e: unknown) => e)
    expect(error).to.be.instanceOf(InterruptedError)
  })
})
