import {VmError} from '../errors.js'

/**
 * Runs ACTION for every machine in parallel and waits for all of them, so one failure never
 * leaves the others half-done. One failure is rethrown as it is; several become one error that
 * lists them.
 */
export async function settleAll<T extends {name: string}>(machines: readonly T[], action: (machine: T) => Promise<void>, verb: string): Promise<void> {
  const results = await Promise.allSettled(machines.map(action))
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{machine: machines[i]!.name, error: r.reason as unknown}] : []))
  if (failures.length === 1) throw failures[0]!.error
  if (failures.length > 1) {
    throw new VmError(`${failures.length} machines failed to ${verb}: ${failures.map((f) => f.machine).join(', ')}.`, {
      code: 'SOME_MACHINES_FAILED',
      detail: failures.map((f) => `${f.machine}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('\n'),
    })
  }
}
