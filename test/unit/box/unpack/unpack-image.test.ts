import {copyFile, readFile, stat, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {expect} from 'chai'
import * as tar from 'tar'

import {unpackImage} from '../../../../src/box/unpack/index.js'
import {InterruptedError, VmError} from '../../../../src/errors.js'
import {rejection} from '../helpers.js'
import {makeDir, makeRaw, MiB, pythonTar, RecordingRunner, sameImage, tempDir, tool, toolToFile, tree, type TarSpec} from './helpers.js'

/*
 * End to end through the real tools: every fixture is built here, at test time, in a temp folder.
 * Each case unpacks into its own empty workDir inside a case folder, and checks afterwards that
 * nothing appeared anywhere else.
 */
describe('box/unpack unpackImage', function () {
  this.timeout(30_000)
  let suite: {dir: string; remove(): Promise<void>}
  /** Fixture files, shared by the cases and never written to by them. */
  let fx: string
  let fixtureTree: string[]
  const at = (name: string) => join(fx, name)

  before(async () => {
    suite = await tempDir('vm-unpack-test-')
    fx = await makeDir(join(suite.dir, 'fixtures'))
    await makeRaw(at('disk.raw'))
    tool('qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', at('disk.raw'), at('disk.qcow2'))
    toolToFile(at('disk.raw.xz'), 'xz', '-T0', '-c', at('disk.raw'))
    toolToFile(at('disk.qcow2.gz'), 'gzip', '-c', at('disk.qcow2'))
    toolToFile(at('disk.raw.zst'), 'zstd', '-q', '-c', at('disk.raw'))
    // A file whose name lies: xz inside, ".qcow2" outside.
    await copyFile(at('disk.raw.xz'), at('named-wrong.qcow2'))
  })
  after(() => suite.remove())
  // The fixtures folder itself must come out of every case as it went in.
  beforeEach(async () => {
    fixtureTree ??= await tree(fx)
  })
  afterEach(async () => {
    expect(await tree(fx)).to.deep.equal(fixtureTree)
  })

  /** One case: an empty workDir in its own folder, and what the folder holds afterwards. */
  async function unpackCase(input: string, runner = new RecordingRunner(), signal?: AbortSignal) {
    const caseDir = await makeDir(join(suite.dir, `case-${Math.random().toString(36).slice(2)}`))
    const workDir = await makeDir(join(caseDir, 'work'))
    const run = () => unpackImage(input, workDir, {runner, signal, label: 'test-box'})
    const outside = async () => (await tree(caseDir)).filter((p) => p !== 'work/' && !p.startsWith('work/'))
    return {caseDir, workDir, run, outside, runner}
  }

  /** Expects a refusal with CODE whose message contains every one of PARTS, and nothing outside workDir. */
  async function expectRefusal(input: string, code: string, parts: string[], runner?: RecordingRunner) {
    const c = await unpackCase(input, runner)
    const error = await rejection(c.run)
    expect(error, String(error.stack)).to.be.instanceOf(VmError)
    expect((error as unknown as VmError).code).to.equal(code)
    for (const part of parts) expect(error.message).to.contain(part)
    expect(error.message).to.match(/^Box test-box was refused: /)
    expect(await c.outside()).to.deep.equal([])
    return {error: error as unknown as VmError, ...c}
  }

  describe('formats', () => {
    it('returns a plain qcow2 as it is: same path, nothing written', async () => {
      const c = await unpackCase(at('disk.qcow2'))
      expect(await c.run()).to.deep.equal({path: at('disk.qcow2'), virtualSize: 16 * MiB, sourceFormat: 'qcow2'})
      expect(await tree(c.workDir)).to.deep.equal([])
      // Read under limits, with the format named: never probed.
      expect(c.runner.commands).to.deep.equal([
        ['prlimit', '--as=1073741824', '--cpu=30', '--', 'qemu-img', 'info', '-f', 'qcow2', '--output=json', '--force-share', at('disk.qcow2')],
        ['prlimit', '--as=1073741824', '--cpu=30', '--', 'qemu-img', 'check', '-f', 'qcow2', '--output=json', '--force-share', at('disk.qcow2')],
      ])
    })

    it('converts a raw image to a qcow2 in workDir with both formats named', async () => {
      const c = await unpackCase(at('disk.raw'))
      const image = await c.run()
      expect(image).to.deep.equal({path: join(c.workDir, 'image.qcow2'), virtualSize: 16 * MiB, sourceFormat: 'raw'})
      expect(sameImage(at('disk.raw'), 'raw', image.path, 'qcow2')).to.equal(true)
      expect(c.runner.commands[1]).to.deep.equal(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', at('disk.raw'), image.path])
      const info = JSON.parse(tool('qemu-img', 'info', '-f', 'qcow2', '--output=json', image.path)) as Record<string, unknown>
      expect(info['backing-filename']).to.equal(undefined)
    })

    for (const [file, format, original, originalFormat] of [
      ['disk.raw.xz', 'raw.xz', 'disk.raw', 'raw'],
      ['disk.qcow2.gz', 'qcow2.gz', 'disk.qcow2', 'qcow2'],
      ['disk.raw.zst', 'raw.zst', 'disk.raw', 'raw'],
      ['named-wrong.qcow2', 'raw.xz', 'disk.raw', 'raw'],
    ] as const) {
      it(`unpacks ${file} (${format}) by its content, keeping only the result in workDir`, async () => {
        const c = await unpackCase(at(file))
        const image = await c.run()
        expect(image.sourceFormat).to.equal(format)
        expect(image.virtualSize).to.equal(16 * MiB)
        expect(dirname(image.path)).to.equal(c.workDir)
        expect(sameImage(at(original), originalFormat, image.path, 'qcow2')).to.equal(true)
        expect(await tree(c.workDir)).to.deep.equal([image.path.slice(c.workDir.length + 1)])
      })
    }

    it('leaves zero runs of a decompressed raw image as holes (xz, zstd and gzip alike)', async () => {
      const {decompress} = await import('../../../../src/box/unpack/decompress.js')
      for (const [file, compression] of [
        ['disk.raw.xz', 'xz'],
        ['disk.raw.zst', 'zstd'],
      ] as const) {
        const out = join(suite.dir, `holes-${compression}`)
        await decompress(compression, at(file), out)
        const s = await stat(out)
        expect(s.size, compression).to.equal(16 * MiB)
        expect(s.blocks * 512, compression).to.be.below(1 * MiB)
      }
      const gz = join(suite.dir, 'disk.raw.gz')
      toolToFile(gz, 'gzip', '-c', at('disk.raw'))
      const out = join(suite.dir, 'holes-gzip')
      await decompress('gzip', gz, out)
      expect((await readFile(out)).equals(await readFile(at('disk.raw')))).to.equal(true)
      expect((await stat(out)).blocks * 512).to.be.below(1 * MiB)
    })

    it("unpacks a .tar.xz holding a folder and ./disk.raw (Debian's layout)", async () => {
      const src = await makeDir(join(suite.dir, 'tar-src'))
      await copyFile(at('disk.raw'), join(src, 'disk.raw'))
      await writeFile(join(src, 'README'), 'hello\n')
      await makeDir(join(src, 'docs'))
      const tarball = join(suite.dir, 'debian.tar')
      await tar.create({file: tarball, cwd: src}, ['./docs', './README', './disk.raw'])
      tool('xz', '-T0', tarball)
      const c = await unpackCase(`${tarball}.xz`)
      const image = await c.run()
      expect(image.sourceFormat).to.equal('tar.xz:disk.raw')
      expect(sameImage(at('disk.raw'), 'raw', image.path, 'qcow2')).to.equal(true)
      // Only the disk was extracted, and only the converted image is left.
      expect(await tree(c.workDir)).to.deep.equal(['image.qcow2'])
    })

    it('unpacks a Vagrant libvirt .box (tar.gz with ./metadata.json, ./Vagrantfile, ./box.img)', async () => {
      const src = await makeDir(join(suite.dir, 'box-src'))
      await copyFile(at('disk.qcow2'), join(src, 'box.img'))
      await writeFile(join(src, 'metadata.json'), JSON.stringify({provider: 'libvirt', format: 'qcow2', virtual_size: 1}))
      await writeFile(join(src, 'Vagrantfile'), 'Vagrant.configure("2") do |config| end\n')
      await writeFile(join(src, 'info.json'), '{}')
      const box = join(suite.dir, 'libvirt.box')
      await tar.create({gzip: true, file: box, cwd: src}, ['./metadata.json', './Vagrantfile', './info.json', './box.img'])
      const c = await unpackCase(box)
      const image = await c.run()
      expect(image).to.deep.equal({path: join(c.workDir, 'member'), virtualSize: 16 * MiB, sourceFormat: 'vagrant-box(tar.gz):box.img'})
      expect(sameImage(at('disk.qcow2'), 'qcow2', image.path, 'qcow2')).to.equal(true)
      expect(await tree(c.workDir)).to.deep.equal(['member'])
    })

    for (const [flavour, options] of [
      ['old GNU (type S)', ['--format=gnu']],
      ['POSIX 1.0 (GNUSparseFile.<pid>/)', ['--posix']],
      ['POSIX 0.1', ['--posix', '--sparse-version=0.1']],
      ['POSIX 0.0 (right name, data blocks only)', ['--posix', '--sparse-version=0.0']],
    ] as const) {
      it(`extracts a GNU tar --sparse member, ${flavour}, with GNU tar, holes and all`, async () => {
        const src = await makeDir(join(suite.dir, `sparse-src-${options.join('')}`))
        // 40 data runs: the old GNU header holds 4, so its map continues in 2 extension blocks.
        await makeRaw(join(src, 'disk.raw'), {seed: 7, scattered: 36})
        const archive = join(suite.dir, `sparse${options.join('')}.tar`)
        tool('tar', '--sparse', ...options, '-C', src, '-cf', archive, 'disk.raw')
        tool('xz', '-T0', archive)
        const c = await unpackCase(`${archive}.xz`)
        const image = await c.run()
        expect(image.sourceFormat).to.equal('tar.xz:disk.raw')
        expect(image.virtualSize).to.equal(16 * MiB)
        expect(sameImage(join(src, 'disk.raw'), 'raw', image.path, 'qcow2')).to.equal(true)
        expect(c.runner.programs()).to.deep.equal(['tar --extract', 'prlimit qemu-img info', 'qemu-img convert'])
      })
    }
  })

  describe('refusals of archives', () => {
    const disk = (name = 'disk.raw'): TarSpec => ({name, data: {file: at('disk.raw')}})

    it('refuses a member with an absolute path, before extracting anything', async () => {
      const victim = join(suite.dir, 'absolute-victim')
      const archive = join(suite.dir, 'absolute.tar')
      pythonTar(archive, [disk(), {name: victim, data: 'pwned'}])
      const {error, workDir} = await expectRefusal(archive, 'BOX_ARCHIVE_REJECTED', [`member "${victim}" has an absolute path`])
      expect(error.hint).to.contain('regular files and folders')
      expect(await tree(suite.dir)).to.not.include('absolute-victim')
      expect(await tree(workDir)).to.deep.equal([])
    })

    for (const name of ['../escaped', './a/../../escaped', 'docs/../../../escaped']) {
      it(`refuses a member named ${name} and writes nothing next to workDir`, async () => {
        const archive = join(suite.dir, 'dotdot.tar')
        pythonTar(archive, [{name: 'docs', type: 'dir'}, disk(), {name, data: 'pwned'}])
        const {workDir} = await expectRefusal(archive, 'BOX_ARCHIVE_REJECTED', [`member "${name}" has a ".." component`])
        expect((await tree(suite.dir)).filter((p) => p.endsWith('escaped'))).to.deep.equal([])
        expect(await tree(workDir)).to.deep.equal([])
      })
    }

    for (const [type, words, extra] of [
      ['symlink', 'is a symbolic link (to "/etc/passwd")', {linkname: '/etc/passwd'}],
      ['hardlink', 'is a hard link (to "/etc/shadow")', {linkname: '/etc/shadow'}],
      ['char', 'is a character device', {}],
      ['block', 'is a block device', {}],
      ['fifo', 'is a FIFO (named pipe)', {}],
    ] as const) {
      it(`refuses the whole archive for one ${type} member`, async () => {
        const archive = join(suite.dir, `${type}.tar`)
        pythonTar(archive, [disk(), {name: 'extra', type, ...extra}])
        const {workDir} = await expectRefusal(archive, 'BOX_ARCHIVE_REJECTED', [`member "extra" ${words}; only regular files and folders are allowed`])
        expect(await tree(workDir)).to.deep.equal([])
      })
    }

    it('refuses a symlink that is the disk itself, even compressed inside a .box', async () => {
      const archive = join(suite.dir, 'link-disk.tar')
      pythonTar(archive, [{name: 'metadata.json', data: '{"provider":"libvirt"}'}, {name: 'box.img', type: 'symlink', linkname: '/dev/sda'}])
      tool('gzip', '-f', archive)
      await expectRefusal(`${archive}.gz`, 'BOX_ARCHIVE_REJECTED', ['member "box.img" is a symbolic link (to "/dev/sda")'])
    })

    it('refuses a tarball with two disks, naming both', async () => {
      const archive = join(suite.dir, 'two.tar')
      pythonTar(archive, [disk('a.raw'), disk('b.qcow2')])
      await expectRefusal(archive, 'BOX_ARCHIVE_REJECTED', ['2 disk images ("a.raw", "b.qcow2")'])
    })

    it('refuses a tarball without a disk, naming what it holds', async () => {
      const archive = join(suite.dir, 'none.tar')
      pythonTar(archive, [{name: 'README', data: 'hi'}, {name: 'disk.vmdk', data: 'x'}])
      await expectRefusal(archive, 'BOX_ARCHIVE_REJECTED', ['no disk image (*.raw, *.img or *.qcow2), only "README", "disk.vmdk"'])
    })

    it('refuses a VirtualBox Vagrant box', async () => {
      const src = await makeDir(join(suite.dir, 'vbox-src'))
      await writeFile(join(src, 'metadata.json'), '{"provider": "virtualbox"}')
      await writeFile(join(src, 'box.ovf'), '<Envelope/>')
      await writeFile(join(src, 'box-disk001.vmdk'), 'KDMV')
      const box = join(suite.dir, 'virtualbox.box')
      await tar.create({gzip: true, file: box, cwd: src}, ['metadata.json', 'box.ovf', 'box-disk001.vmdk'])
      await expectRefusal(box, 'BOX_ARCHIVE_REJECTED', ['a Vagrant box for the "virtualbox" provider; vm boots only libvirt boxes'])
    })

    it('refuses a tarball inside a tarball', async () => {
      const inner = join(suite.dir, 'inner.tar')
      pythonTar(inner, [disk()])
      const outer = join(suite.dir, 'outer.tar')
      pythonTar(outer, [{name: 'disk.img', data: {file: inner}}])
      await expectRefusal(outer, 'BOX_ARCHIVE_REJECTED', ['a tarball inside a tarball (tar:disk.img)'])
    })

    it('refuses a damaged tarball (a header checksum does not match)', async () => {
      const archive = join(suite.dir, 'damaged.tar')
      pythonTar(archive, [{name: 'README', data: 'hi'}, disk()])
      const bytes = await readFile(archive)
      bytes[1024 + 10]! ^= 0xff // the second header's name
      await writeFile(archive, bytes)
      await expectRefusal(archive, 'BOX_ARCHIVE_REJECTED', ['the tar archive is damaged or malformed: a header checksum does not match'])
    })
  })

  describe('refusals of images', () => {
    it('refuses a qcow2 with a backing file on its header alone: qemu-img never opens it', async () => {
      const overlay = join(suite.dir, 'overlay.qcow2')
      tool('qemu-img', 'create', '-q', '-f', 'qcow2', '-b', at('disk.qcow2'), '-F', 'qcow2', overlay)
      const runner = new RecordingRunner()
      await expectRefusal(overlay, 'BOX_IMAGE_REJECTED', [`a qcow2 overlay with a backing file ("${at('disk.qcow2')}")`], runner)
      expect(runner.commands).to.deep.equal([])
    })

    it('refuses a qcow2 with an external data file on its header alone', async () => {
      const image = join(suite.dir, 'data-file.qcow2')
      tool('qemu-img', 'create', '-q', '-f', 'qcow2', '-o', `data_file=${join(suite.dir, 'data-file.raw')}`, image, '16M')
      const runner = new RecordingRunner()
      const {error} = await expectRefusal(image, 'BOX_IMAGE_REJECTED', ['an external data file', 'data-file.raw'], runner)
      expect(error.hint).to.contain('no backing file, no external data file')
      expect(runner.commands).to.deep.equal([])
    })

    it('refuses a .box whose box.img is an overlay', async () => {
      const src = await makeDir(join(suite.dir, 'overlay-box'))
      tool('qemu-img', 'create', '-q', '-f', 'qcow2', '-b', '/etc/shadow', '-F', 'raw', join(src, 'box.img'))
      await writeFile(join(src, 'metadata.json'), '{"provider":"libvirt","format":"qcow2"}')
      const box = join(suite.dir, 'overlay.box')
      await tar.create({gzip: true, file: box, cwd: src}, ['metadata.json', 'box.img'])
      await expectRefusal(box, 'BOX_IMAGE_REJECTED', ['backing file ("/etc/shadow")'])
    })

    it('refuses a VMDK (any format but qcow2 and raw) without running qemu-img', async () => {
      const vmdk = join(suite.dir, 'disk.vmdk')
      tool('qemu-img', 'convert', '-f', 'raw', '-O', 'vmdk', at('disk.raw'), vmdk)
      const runner = new RecordingRunner()
      await expectRefusal(vmdk, 'BOX_IMAGE_REJECTED', ['it is a VMDK image; vm needs a qcow2 or raw disk image'], runner)
      expect(runner.commands).to.deep.equal([])
    })

    it('refuses a qcow2 whose header is marked corrupt', async () => {
      const image = join(suite.dir, 'corrupt.qcow2')
      await copyFile(at('disk.qcow2'), image)
      const bytes = await readFile(image)
      bytes[79]! |= 0b10 // incompatible feature bit 1: corrupt
      await writeFile(image, bytes)
      await expectRefusal(image, 'BOX_IMAGE_REJECTED', ['its qcow2 header is marked corrupt'])
    })

    it('refuses a truncated qcow2: qemu-img info passes it, qemu-img check does not', async () => {
      const image = join(suite.dir, 'truncated.qcow2')
      await writeFile(image, (await readFile(at('disk.qcow2'))).subarray(0, 4096))
      const runner = new RecordingRunner()
      await expectRefusal(image, 'BOX_IMAGE_REJECTED', ['qemu-img check finds 3 corruptions in its qcow2 metadata'], runner)
      expect(runner.programs()).to.deep.equal(['prlimit qemu-img info', 'prlimit qemu-img check'])
    })

    it('refuses a qcow2 whose header qemu-img cannot read, with its words as detail', async () => {
      const image = join(suite.dir, 'bad-cluster.qcow2')
      const bytes = await readFile(at('disk.qcow2'))
      bytes.writeUInt32BE(40, 20) // cluster_bits 40: beyond what QEMU accepts
      await writeFile(image, bytes)
      const {error} = await expectRefusal(image, 'BOX_IMAGE_REJECTED', ['qemu-img cannot read it as a plain qcow2 image within 1 GiB of memory and 30 s of CPU time'])
      expect(error.detail).to.match(/^ {2}qemu-img: .*[Cc]luster size/)
    })

    it('refuses a web page saved as an image, and a tiny file', async () => {
      const page = join(suite.dir, 'page.img')
      await writeFile(page, '<!DOCTYPE html><html><body>Not found</body></html>\n')
      await expectRefusal(page, 'BOX_IMAGE_REJECTED', ['it is a web page or XML document'])
      const tiny = join(suite.dir, 'tiny.img')
      await writeFile(tiny, Buffer.alloc(4096, 7))
      await expectRefusal(tiny, 'BOX_IMAGE_REJECTED', ['it is only 4096 bytes, too small to be a disk image'])
    })
  })

  describe('failures and interrupts', () => {
    it("reports damaged xz data with xz's own words", async () => {
      const broken = join(suite.dir, 'broken.raw.xz')
      const bytes = await readFile(at('disk.raw.xz'))
      await writeFile(broken, bytes.subarray(0, bytes.length - 40))
      const c = await unpackCase(broken)
      const error = (await rejection(c.run)) as unknown as VmError
      expect(error.code).to.equal('BOX_UNPACK_FAILED')
      expect(error.message).to.equal('Box test-box could not be unpacked: its xz data is damaged.')
      expect(error.detail).to.match(/xz: .*(Unexpected end of input|Compressed data is corrupt)/)
      expect(await c.outside()).to.deep.equal([])
    })

    it('throws InterruptedError when the signal is already aborted, and runs nothing', async () => {
      const runner = new RecordingRunner()
      const c = await unpackCase(at('disk.raw.xz'), runner, AbortSignal.abort())
      expect(await rejection(c.run)).to.be.instanceOf(InterruptedError)
      expect(runner.commands).to.deep.equal([])
    })

    it('throws InterruptedError when aborted while gzip data is being decompressed', async () => {
      const {decompress} = await import('../../../../src/box/unpack/decompress.js')
      const big = join(suite.dir, 'big.raw.gz')
      // 64 MiB of zeros: quick to make, long enough to interrupt.
      toolToFile(big, 'sh', '-c', 'head -c 67108864 /dev/zero | gzip -1')
      const controller = new AbortController()
      const pending = decompress('gzip', big, join(suite.dir, 'big.raw'), controller.signal)
      setTimeout(() => controller.abort(), 5)
      expect(await rejection(() => pending)).to.be.instanceOf(InterruptedError)
    })
  })
})
