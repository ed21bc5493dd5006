import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {readEnds} from '../../../../src/box/unpack/read-ends.js'
import {sniff} from '../../../../src/box/unpack/sniff.js'
import {runTool} from '../../fixture.js'
import {makeRaw, tempDir, tool, toolToFile} from './helpers.js'

const bytes = (...values: number[]) => Buffer.from(values)
const padded = (head: Buffer, size = 4096) => Buffer.concat([head, Buffer.alloc(size - head.length)])

describe('box/unpack sniff', () => {
  it('knows xz, gzip and zstd by their magic', () => {
    expect(sniff(padded(bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)))).to.deep.equal({type: 'compressed', compression: 'xz'})
    expect(sniff(padded(bytes(0x1f, 0x8b, 0x08)))).to.deep.equal({type: 'compressed', compression: 'gzip'})
    expect(sniff(padded(bytes(0x28, 0xb5, 0x2f, 0xfd)))).to.deep.equal({type: 'compressed', compression: 'zstd'})
  })

  it('names compressions and archives it does not unpack', () => {
    expect(sniff(padded(Buffer.from('BZh91AY&SY')))).to.deep.equal({type: 'foreign', name: 'bzip2-compressed data'})
    expect(sniff(padded(bytes(0x50, 0x4b, 0x03, 0x04)))).to.deep.equal({type: 'foreign', name: 'a zip archive'})
  })

  it('knows a tarball by "ustar" at offset 257 (POSIX and GNU)', () => {
    const posix = Buffer.alloc(512)
    posix.write('ustar\u000000', 257, 'latin1')
    const gnu = Buffer.alloc(512)
    gnu.write('ustar  \u0000', 257, 'latin1')
    expect(sniff(posix)).to.deep.equal({type: 'tar'})
    expect(sniff(gnu)).to.deep.equal({type: 'tar'})
  })

  it('tells qcow2 (version 2 and 3) from qcow version 1', () => {
    const qcow = (version: number) => padded(Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), bytes(0, 0, 0, version)]))
    expect(sniff(qcow(2))).to.deep.equal({type: 'qcow2'})
    expect(sniff(qcow(3))).to.deep.equal({type: 'qcow2'})
    expect(sniff(qcow(1))).to.deep.equal({type: 'foreign', name: 'a qcow (version 1) image'})
  })

  it('calls a web page a web page, not a raw disk', () => {
    expect(sniff(Buffer.from('\n  <!DOCTYPE html>\n<html>'))).to.deep.equal({type: 'foreign', name: 'a web page or XML document'})
    expect(sniff(Buffer.from('\xef\xbb\xbf<html lang="en">', 'latin1'))).to.deep.equal({type: 'foreign', name: 'a web page or XML document'})
  })

  it('knows a VMDK descriptor without its comment line, and a dmg by its trailer', () => {
    expect(sniff(Buffer.from('version=1\nCID=fffffffe\ncreateType="monolithicFlat"\n'))).to.deep.equal({type: 'foreign', name: 'a VMDK descriptor'})
    const tail = Buffer.alloc(512)
    tail.write('koly')
    expect(sniff(Buffer.alloc(4096), tail)).to.deep.equal({type: 'foreign', name: 'an Apple disk image (dmg)'})
  })

  it('calls anything else raw, including an empty file', () => {
    expect(sniff(Buffer.alloc(4096))).to.deep.equal({type: 'raw'})
    expect(sniff(Buffer.alloc(0))).to.deep.equal({type: 'raw'})
  })

  describe('agrees with what qemu-img would probe', function () {
    this.timeout(20_000)
    let dir: {dir: string; remove(): Promise<void>}
    before(async () => {
      dir = await tempDir('vm-sniff-test-')
    })
    after(() => dir.remove())

    /** What `qemu-img info` (probing, which vm itself never lets it do) calls the file. */
    const probe = (path: string) => (JSON.parse(tool('qemu-img', 'info', '--output=json', path)) as {format: string}).format
    const sniffFile = async (path: string) => {
      const {head, tail} = await readEnds(path)
      return sniff(head, tail)
    }

    for (const [format, options, name] of [
      ['vmdk', [], 'a VMDK image'],
      ['vmdk', ['-o', 'subformat=monolithicFlat'], 'a VMDK descriptor'],
      ['vhdx', [], 'a VHDX image'],
      ['vdi', [], 'a VDI (VirtualBox) image'],
      ['vpc', [], 'a VHD (vpc) image'],
      ['qed', [], 'a QED image'],
      ['qcow', [], 'a qcow (version 1) image'],
      ['parallels', [], 'a Parallels image'],
    ] as const) {
      it(`${format}${options.length > 0 ? ' (descriptor)' : ''}: ${name}`, async () => {
        const path = join(dir.dir, `${format}-${options.length}.img`)
        tool('qemu-img', 'create', '-q', '-f', format, ...options, path, '16M')
        expect(probe(path)).to.equal(format)
        expect(await sniffFile(path)).to.deep.equal({type: 'foreign', name})
      })
    }

    it('luks: a LUKS-encrypted image', async () => {
      // `qemu-img create -f luks` spends seconds deriving a key; a LUKS 1 magic alone makes QEMU
      // probe the file as LUKS, which its complaint about the (empty) header shows.
      const path = join(dir.dir, 'fake.luks')
      await writeFile(path, Buffer.concat([Buffer.from('LUKS\xba\xbe\x00\x01', 'latin1'), Buffer.alloc(1024 * 1024)]))
      expect(runTool('qemu-img', ['info', '--output=json', path], 'qemu-utils').stderr).to.contain('LUKS payload')
      expect(await sniffFile(path)).to.deep.equal({type: 'foreign', name: 'a LUKS-encrypted image'})
    })

    it('qcow2 (compat 0.10 and 1.1) and raw', async () => {
      for (const compat of ['0.10', '1.1']) {
        const path = join(dir.dir, `v${compat}.qcow2`)
        tool('qemu-img', 'create', '-q', '-f', 'qcow2', '-o', `compat=${compat}`, path, '16M')
        expect(probe(path)).to.equal('qcow2')
        expect(await sniffFile(path)).to.deep.equal({type: 'qcow2'})
      }
      const raw = join(dir.dir, 'disk.raw')
      await makeRaw(raw)
      expect(probe(raw)).to.equal('raw')
      expect(await sniffFile(raw)).to.deep.equal({type: 'raw'})
    })

    it('xz, gzip and zstd files as the tools write them', async () => {
      const raw = join(dir.dir, 'small.raw')
      await writeFile(raw, 'data')
      for (const [tool, compression] of [
        ['xz', 'xz'],
        ['gzip', 'gzip'],
        ['zstd', 'zstd'],
      ] as const) {
        const out = join(dir.dir, `small.${tool}`)
        toolToFile(out, tool, '-c', raw)
        expect(await sniffFile(out), tool).to.deep.equal({type: 'compressed', compression})
      }
      expect((await readFile(raw)).length).to.equal(4)
    })
  })
})
