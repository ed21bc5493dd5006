import {expect} from 'chai'

import {runSteps, type Step} from '../../../src/steps/run-steps.js'

type Log = string[]

/** A step that records run/undo in LOG; FAIL makes run (or undo) throw after recording. */
function step(log: Log, title: string, options: {fail?: boolean; undoFails?: boolean; noUndo?: boolean; onRun?: () => void} = {}): Step {
  return {
    title,
    run: async () => {
      log.push(`run ${title}`)
      options.onRun?.()
      if (options.fail) throw new Error(`${title} failed`)
    },
    ...(options.noUndo
      ? {}
      : {
          undo: async () => {
            log.push(`undo ${title}`)
            if (options.undoFails) throw new Error(`undo ${title} failed`)
          },
        }),
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

describe('steps/run-steps', () => {
  it('runs the steps in order and undoes nothing when all succeed', async () => {
    const log: Log = []
    await runSteps([step(log, 'a'), step(log, 'b'), step(log, 'c')], {signal: new AbortController().signal, rollback: true})
    expect(log).to.deep.equal(['run a', 'run b', 'run c'])
  })

  it('passes the signal to each step', async () => {
    const controller = new AbortController()
    const seen: AbortSignal[] = []
    await runSteps([{title: 'a', run: async (signal) => void seen.push(signal)}], {signal: controller.signal, rollback: true})
    expect(seen).to.deep.equal([controller.signal])
  })

  it('on failure undoes, newest first, the steps entered (the failing one too), then rethrows', async () => {
    const log: Log = []
    const undone: Array<[string, unknown]> = []
    const error = await rejection(
      runSteps([step(log, 'a'), step(log, 'b', {noUndo: true}), step(log, 'c', {fail: true}), step(log, 'd')], {
        signal: new AbortController().signal,
        rollback: true,
        onUndo: (title, e) => undone.push([title, e]),
      }),
    )
    expect((error as Error).message).to.equal('c failed')
    expect(log).to.deep.equal(['run a', 'run b', 'run c', 'undo c', 'undo a'])
    expect(undone).to.deep.equal([
      ['c', undefined],
      ['a', undefined],
    ])
  })

  it('reports undo errors through onUndo, goes on undoing, and still throws the original error', async () => {
    const log: Log = []
    const undone: Array<[string, string | undefined]> = []
    const error = await rejection(
      runSteps([step(log, 'a'), step(log, 'b', {undoFails: true}), step(log, 'c', {fail: true, undoFails: true})], {
        signal: new AbortController().signal,
        rollback: true,
        onUndo: (title, e) => undone.push([title, e === undefined ? undefined : (e as Error).message]),
      }),
    )
    expect((error as Error).message).to.equal('c failed')
    expect(log).to.deep.equal(['run a', 'run b', 'run c', 'undo c', 'undo b', 'undo a'])
    expect(undone).to.deep.equal([
      ['c', 'undo c failed'],
      ['b', 'undo b failed'],
      ['a', undefined],
    ])
  })

  it('undoes nothing with rollback: false', async () => {
    const log: Log = []
    const error = await rejection(runSteps([step(log, 'a'), step(log, 'b', {fail: true})], {signal: new AbortController().signal, rollback: false}))
    expect((error as Error).message).to.equal('b failed')
    expect(log).to.deep.equal(['run a', 'run b'])
  })

  it('stops before the next step once the signal is aborted, undoes what ran, and throws the reason', async () => {
    const log: Log = []
    const controller = new AbortController()
    const reason = new Error('Interrupted.')
    const error = await rejection(
      runSteps([step(log, 'a'), step(log, 'b', {onRun: () => controller.abort(reason)}), step(log, 'c')], {signal: controller.signal, rollback: true}),
    )
    expect(error).to.equal(reason)
    expect(log).to.deep.equal(['run a', 'run b', 'undo b', 'undo a'])
  })

  it('runs nothing when the signal is aborted before the first step', async () => {
    const log: Log = []
    const controller = new AbortController()
    controller.abort(new Error('Interrupted.'))
    const error = await rejection(runSteps([step(log, 'a')], {signal: controller.signal, rollback: true}))
    expect((error as Error).message).to.equal('Interrupted.')
    expect(log).to.deep.equal([])
  })
})
