import {open, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {expect} from 'chai'

import {SparseWriter} from '../../../../src/box/unpack/sparse-writer.js'
import {MiB, tempDir} from './helpers.js'

describe('box/unpack SparseWriter', () => {
  let dir: {dir: string; remove(): Promise<void>}
  before(async () => {
    dir = await tempDir('vm-sparse-writer-test-')
  })
  after(() => dir.remove())

  /** Writes DATA in chunks of the given sizes; returns the file's bytes and allocated bytes. */
  async function write(name: string, data: Buffer, chunk: number) {
    const path = join(dir.dir, name)
    const handle = await open(path, 'wx')
    const writer = new SparseWriter(handle)
    const chunks = function* () {
      for (let at = 0; at < data.length; at += chunk) yield data.subarray(at, at + chunk)
    }
    await pipeline(Readable.from(chunks()), writer)
    await handle.close()
    return {bytes: await readFile(path), allocated: (await stat(path)).blocks * 512, written: writer.written}
  }

  it('writes the same bytes whatever the chunk boundaries, zero runs as holes, trailing hole included', async () => {
    const data = Buffer.alloc(8 * MiB)
    data.fill(1, 0, 100) // a partial first block
    data.fill(2, 3 * MiB - 10, 3 * MiB + 10) // data across a block (and chunk) boundary
    data[5 * MiB + 4095] = 3 // the last byte of a block
    for (const chunk of [1000, 4096, 65536, 1 * MiB + 7]) {
      const {bytes, allocated, written} = await write(`c${chunk}`, data, chunk)
      expect(written).to.equal(data.length)
      expect(bytes.equals(data), `chunk ${chunk}`).to.equal(true)
      expect(allocated, `chunk ${chunk}`).to.be.at.most(64 * 1024)
    }
  })

  it('writes an all-zero stream as one hole of the right length, and an empty one as nothing', async () => {
    expect((await write('zeros', Buffer.alloc(3 * MiB), 65536)).bytes.length).to.equal(3 * MiB)
    expect((await write('zeros', Buffer.alloc(3 * MiB), 65536).catch((e: Error) => e)) as Error).to.have.property('code', 'EEXIST')
    expect((await write('empty', Buffer.alloc(0), 1)).bytes.length).to.equal(0)
  })
})
