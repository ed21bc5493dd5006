import {open} from 'node:fs/promises'

import {HEAD_BYTES, TAIL_BYTES} from './sniff.js'

/** The first HEAD_BYTES and last TAIL_BYTES of a file (fewer when it is smaller), for sniff(). */
export async function readEnds(path: string): Promise<{head: Buffer; tail: Buffer; size: number}> {
  const handle = await open(path, 'r')
  try {
    const {size} = await handle.stat()
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size))
    await handle.read(head, 0, head.length, 0)
    const tail = Buffer.alloc(Math.min(TAIL_BYTES, size))
    await handle.read(tail, 0, tail.length, size - tail.length)
    return {head, tail, size}
  } finally {
    await handle.close()
  }
}
