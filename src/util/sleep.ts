import {setTimeout as delay} from 'node:timers/promises'

/** Waits MS milliseconds; rejects with the signal's reason as soon as it is aborted. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, {signal})
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    throw error
  }
}
