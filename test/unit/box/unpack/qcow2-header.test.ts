import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {qcow2HeaderProblem} from '../../../../src/box/unpack/image-check.js'
import {parseQcow2Header} from '../../../../src/box/unpack/qcow2-header.js'
import {tempDir, tool} from './helpers.js'

/* Headers of real images made by qemu-img at test time. */
describe('box/unpack parseQcow2Header', () => {
  let dir: {dir: string; remove(): Promise<void>}
  before(async () => {
    dir = await tempDir('vm-qcow2-header-test-')
  })
  after(() => dir.remove())

  const create = async (name: string, ...args: string[]) => {
    const path = join(dir.dir, name)
    tool('qemu-img', 'create', '-q', '-f', 'qcow2', ...args, path, '16M')
    return (await readFile(path)).subarray(0, 4096)
  }

  it('reads a plain qcow2 (version 3) and a compat=0.10 one (version 2) as clean', async () => {
    const plain = parseQcow2Header(await create('plain.qcow2'))
    expect(plain).to.deep.equal({version: 3, virtualSize: 16 * 1024 * 1024, encrypted: false, corrupt: false, unknownFeatures: []})
    expect(qcow2HeaderProblem(plain)).to.equal(undefined)
    const old = parseQcow2Header(await create('old.qcow2', '-o', 'compat=0.10'))
    expect(old.version).to.equal(2)
    expect(qcow2HeaderProblem(old)).to.equal(undefined)
  })

  it('reads the backing file name of an overlay', async () => {
    const header = parseQcow2Header(await create('overlay.qcow2', '-u', '-b', '/var/lib/base.qcow2', '-F', 'qcow2'))
    expect(header.backingFile).to.equal('/var/lib/base.qcow2')
    expect(qcow2HeaderProblem(header)).to.match(/^it is a qcow2 overlay with a backing file \("\/var\/lib\/base.qcow2"\)/)
  })

  it('reads an external data file from the feature bit and the header extension', async () => {
    const header = parseQcow2Header(await create('data.qcow2', '-o', `data_file=${join(dir.dir, 'data.raw')}`))
    expect(header.dataFile).to.equal(join(dir.dir, 'data.raw'))
    expect(qcow2HeaderProblem(header)).to.contain('external data file')
  })

  it('sees the data file feature bit even without the name extension', async () => {
    const bytes = Buffer.from(await create('bit.qcow2'))
    bytes[79]! |= 0b100
    expect(parseQcow2Header(bytes).dataFile).to.equal('')
  })

  it('reads encryption, the corrupt bit and unknown incompatible features', async () => {
    const bytes = Buffer.from(await create('flags.qcow2'))
    bytes.writeUInt32BE(1, 32) // crypt_method AES
    bytes[79]! |= 0b10 // corrupt
    bytes[78]! |= 0b1 // bit 8: unknown
    const header = parseQcow2Header(bytes)
    expect(header).to.include({encrypted: true, corrupt: true})
    expect(header.unknownFeatures).to.deep.equal([8])
    expect(qcow2HeaderProblem({...header, encrypted: false, corrupt: false})).to.contain('incompatible feature bits 8')
  })

  it('refuses what is not a qcow2 header', async () => {
    expect(() => parseQcow2Header(Buffer.alloc(4096))).to.throw('not a qcow2 header')
    expect(() => parseQcow2Header(Buffer.from('QFI\xfb\0\0\0\x03', 'latin1'))).to.throw('not a qcow2 header')
  })
})
