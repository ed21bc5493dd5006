import {expect} from 'chai'

import {CreationLedger, describeLeftovers} from '../../../src/steps/ledger.js'
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
        onUndo: (s, e) => undone.push([s.title, e]),
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
        onUndo: (s, e) => undone.push([s.title, e === undefined ? undefined : (e as Error).message]),
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

describe('steps/run-steps with a ledger', () => {
  it('records what a step makes before it runs, keeps it on success, forgets it once undone', async () => {
    const book = new CreationLedger()
    const made = (title: string, makes: string, fail = false): Step => ({
      title,
      makes,
      run: async () => {
        // Recorded before run: a step cut off halfway may already have made its thing.
        expect(book.remaining().map((e) => e.made)).to.include(makes)
        if (fail) throw new Error(`${title} failed`)
      },
      undo: async () => undefined,
    })
    await runSteps([made('a', 'volume a')], {signal: new AbortController().signal, rollback: true, ledger: {book, machine: 'web'}})
    expect(book.remaining()).to.deep.equal([{machine: 'web', made: 'volume a'}])
    await runSteps([made('b', 'volume b'), made('c', 'domain c', true)], {signal: new AbortController().signal, rollback: true, ledger: {book, machine: 'db'}}).catch(() => undefined)
    expect(book.remaining()).to.deep.equal([{machine: 'web', made: 'volume a'}])
  })

  it('a rollback that cannot undo a step leaves it in the ledger', async () => {
    const book = new CreationLedger()
    const steps: Step[] = [
      {title: 'a', makes: 'volume a', run: async () => undefined, undo: async () => Promise.reject(new Error('libvirt is gone'))},
      {title: 'b', makes: 'domain b', run: async () => Promise.reject(new Error('boom')), undo: async () => undefined},
    ]
    await runSteps(steps, {signal: new AbortController().signal, rollback: true, ledger: {book, machine: 'web'}}).catch(() => undefined)
    expect(book.remaining()).to.deep.equal([{machine: 'web', made: 'volume a'}])
  })
})

describe('steps/ledger describeLeftovers', () => {
  it('lists what is left per machine and the command that removes it', () => {
    expect(
      describeLeftovers([
        {machine: 'web', made: 'overlay volume w.qcow2'},
        {machine: 'db', made: 'overlay volume d.qcow2'},
        {machine: 'web', made: 'seed ISO volume w-seed.iso'},
      ]),
    ).to.deep.equal([
      'Left behind by this command:',
      '  web: overlay volume w.qcow2, seed ISO volume w-seed.iso',
      '  db: overlay volume d.qcow2',
      '`vm destroy -f web db` removes them (`vm up` also clears leftover volumes before it creates a machine).',
    ])
    expect(describeLeftovers([])).to.deep.equal(['Nothing this command made is left behind.'])
  })
})
