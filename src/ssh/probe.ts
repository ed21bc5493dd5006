import {connect} from 'node:net'

/**
 * Whether something accepts TCP connections on HOST:PORT within TIMEOUT_MS. Costs no process, so
 * readiness can probe often without taking CPU from guests that are still booting.
 */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host, port})
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
