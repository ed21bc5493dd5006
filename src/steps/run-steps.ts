import {VmError} from '../errors.js'
import type {CreationLedger} from './ledger.js'

/** One unit of work that can be taken back. */
export type Step = {
  /** Present tense, shown with --verbose and when undone: "create overlay". */
  readonly title: string
  /**
   * What run() makes that undo() removes, as a noun ("overlay volume web.qcow2"): recorded in the
   * ledger before run(), forgotten once undone, and printed when the user leaves without undoing.
   */
  readonly makes?: string
  run(signal: AbortSignal): Promise<void>
  /**
   * Removes what run() made in this invocation. Must tolerate half-done work (run may have
   * failed midway) and things already gone.
   */
  undo?(): Promise<unknown>
}

export type RunStepsOptions = {
  signal: AbortSignal
  /** Whether a failure undoes the steps entered so far (newest first). */
  rollback: boolean
  /** Told about each undo, so the user sees what was removed (or could not be). */
  onUndo?: (step: Step, error?: unknown) => void
  /** Where what the steps make is recorded, under this machine's name. */
  ledger?: {readonly book: CreationLedger; readonly machine: string}
  /** Test hook: fail right after the step whose title starts with this. */
  faultAfter?: string
  /** Test hook: after the step whose title starts with this, wait until aborted (or killed). */
  hangAfter?: string
}

/**
 * Runs steps in order. On a failure or an abort, undoes — newest first — exactly the steps this
 * call entered, then rethrows the original error (an undo failure never hides it).
 */
export async function runSteps(steps: readonly Step[], options: RunStepsOptions): Promise<void> {
  const entered: Step[] = []
  try {
    for (const step of steps) {
      options.signal.throwIfAborted()
      // Entered before run(): a step that fails halfway may already have made something.
      entered.push(step)
      if (step.makes) options.ledger?.book.record({machine: options.ledger.machine, made: step.makes})
      await step.run(options.signal)
      await injectFault(step, options)
    }
  } catch (error) {
    if (options.rollback) await undoAll(entered.reverse(), options)
    throw error
  }
}

async function injectFault(step: Step, options: RunStepsOptions): Promise<void> {
  if (options.faultAfter && step.title.startsWith(options.faultAfter)) {
    throw new VmError(`Fault injected after "${step.title}" (VM_TEST_FAULT_AFTER).`, {code: 'INJECTED_FAULT'})
  }
  if (options.hangAfter && step.title.startsWith(options.hangAfter)) {
    process.stderr.write(`hanging after "${step.title}" (VM_TEST_HANG_AFTER)\n`)
    await new Promise((_, reject) => options.signal.addEventListener('abort', () => reject(options.signal.reason as Error), {once: true}))
  }
}

async function undoAll(steps: Step[], options: RunStepsOptions): Promise<void> {
  for (const step of steps) {
    if (!step.undo) continue
    try {
      await step.undo()
      if (step.makes) options.ledger?.book.forget({machine: options.ledger.machine, made: step.makes})
      options.onUndo?.(step)
    } catch (error) {
      options.onUndo?.(step, error)
    }
  }
}
