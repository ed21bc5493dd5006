import {createReadStream} from 'node:fs'
import {readFile, stat, truncate, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'

import {expect} from 'chai'
import * as tar from 'tar'

import {extractMember, listTarball, MAX_MEMBERS, TarFormatError} from '../../../../src/box/unpack/tarball.js'
import {rejection} from '../helpers.js'
import {makeDir, makeRaw, MiB, PYTHON, tempDir, tool} from './helpers.js'

describe('box/unpack tarball', function () {
  this.timeout(20_000)
  let dir: {dir: string; remove(): Promise<void>}
  let src: string
  const longName = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(80)}.raw`
  /** Too long for the name field alone: ustar splits it into prefix and name. */
  const prefixedName = `${'p'.repeat(90)}/readme.txt`

  before(async () => {
    dir = await tempDir('vm-tarball-test-')
    src = await makeDir(join(dir.dir, 'src'))
    await makeDir(join(src, longName, '..'))
    await writeFile(join(src, longName), 'long\n')
    await makeDir(join(src, prefixedName, '..'))
    await writeFile(join(src, prefixedName), 'prefixed\n')
    await writeFile(join(src, 'metadata.json'), '{"provider":"libvirt"}')
    // 40 data runs: an old GNU sparse header holds 4, the rest go to extension blocks.
    await makeRaw(join(src, 'disk.raw'), {scattered: 36})
  })
  after(() => dir.remove())

  /** GNU tar's own list of names, the reference the walk must agree with. */
  const gnuNames = (archive: string) => tool('tar', '-tf', archive).split('\n').filter(Boolean)

  for (const format of ['gnu', 'posix', 'ustar', 'oldgnu'] as const) {
    it(`lists a GNU tar --format=${format} archive with the names GNU tar sees`, async () => {
      const archive = join(dir.dir, `${format}.tar`)
      // ustar cannot store the long name; the others store it as GNU 'L' records or pax.
      const names = ['./metadata.json', './disk.raw', prefixedName, ...(format === 'ustar' ? [] : [longName])]
      tool('tar', `--format=${format}`, '-C', src, '-cf', archive, ...names)
      const listing = await listTarball(archive)
      expect(listing.members.map((m) => m.path)).to.deep.equal(gnuNames(archive))
      expect(listing.members.every((m) => m.type === 'File' && !m.sparse)).to.equal(true)
      expect(listing.members.find((m) => m.path === './disk.raw')?.size).to.equal(16 * MiB)
      expect(listing.metadataJson).to.equal('{"provider":"libvirt"}')
      expect(listing.tooManyMembers).to.equal(false)
    })
  }

  it('lists what node-tar writes (pax records for long names), folders included', async () => {
    const archive = join(dir.dir, 'node-tar.tar')
    await tar.create({file: archive, cwd: src}, ['metadata.json', longName.split('/')[0]!])
    const listing = await listTarball(archive)
    expect(listing.members.map((m) => m.path)).to.deep.equal(gnuNames(archive))
    expect(listing.members.map((m) => m.type)).to.deep.equal(['File', 'Directory', 'Directory', 'File'])
  })

  it('copies a member out byte for byte, leaving its zero blocks as holes', async () => {
    const archive = join(dir.dir, 'copy.tar')
    tool('tar', '-C', src, '-cf', archive, 'metadata.json', 'disk.raw')
    const member = (await listTarball(archive)).members[1]!
    const out = join(dir.dir, 'copied.raw')
    await extractMember(archive, member, out)
    expect((await readFile(out)).equals(await readFile(join(src, 'disk.raw')))).to.equal(true)
    expect((await stat(out)).blocks * 512).to.be.below(1 * MiB)
  })

  describe('GNU sparse members', () => {
    it('old GNU (type S) with extension blocks: one sparse member with its real size', async () => {
      const archive = join(dir.dir, 'old-sparse.tar')
      tool('tar', '--sparse', '--format=gnu', '-C', src, '-cf', archive, 'disk.raw', 'metadata.json')
      const {members, metadataJson} = await listTarball(archive)
      expect(members.map(({path, type, sparse, realSize}) => ({path, type, sparse, realSize}))).to.deep.equal([
        {path: 'disk.raw', type: 'SparseFile', sparse: true, realSize: 16 * MiB},
        {path: 'metadata.json', type: 'File', sparse: false, realSize: undefined},
      ])
      // The member after it is found where it is: the extension blocks were skipped.
      expect(metadataJson).to.equal('{"provider":"libvirt"}')
    })

    it('POSIX 1.0: the real name from GNU.sparse.name, and the real size', async () => {
      const archive = join(dir.dir, 'posix-sparse.tar')
      tool('tar', '--sparse', '--posix', '-C', src, '-cf', archive, './disk.raw')
      const [member] = (await listTarball(archive)).members
      expect(member!.path).to.match(/^\.\/GNUSparseFile\.\d+\/disk\.raw$/)
      expect(member).to.include({realPath: './disk.raw', type: 'File', sparse: true, realSize: 16 * MiB})
    })

    it('POSIX 0.0: the right name but only the data blocks, told apart by its pax records', async () => {
      const archive = join(dir.dir, 'posix00-sparse.tar')
      tool('tar', '--sparse', '--posix', '--sparse-version=0.0', '-C', src, '-cf', archive, 'disk.raw')
      const [member] = (await listTarball(archive)).members
      expect(member).to.include({path: 'disk.raw', realPath: 'disk.raw', sparse: true, realSize: 16 * MiB})
      expect(member!.size).to.be.below(1 * MiB)
    })

    it('why not node-tar (measured, tar 7.5): it drops an old GNU sparse member and loses its place', async () => {
      const archive = join(dir.dir, 'old-sparse.tar')
      const seen: string[] = []
      const parser = new tar.Parser({})
      parser.on('entry', (entry: tar.ReadEntry) => {
        seen.push(`entry ${entry.path}`)
        entry.resume()
      })
      parser.on('ignoredEntry', (entry: tar.ReadEntry) => seen.push(`ignored ${entry.type}`))
      parser.on('warn', (code: string, message: string) => seen.push(`warn ${code} ${message}`))
      await pipeline(createReadStream(archive), parser)
      expect(seen[0]).to.equal('ignored SparseFile')
      expect(seen).to.include('warn TAR_ENTRY_INVALID checksum failure')
    })
  })

  describe('refusals', () => {
    it('a truncated archive', async () => {
      const archive = join(dir.dir, 'truncated.tar')
      tool('tar', '-C', src, '-cf', archive, 'metadata.json', 'disk.raw')
      await truncate(archive, 512 * 5)
      const error = await rejection(() => listTarball(archive))
      expect(error).to.be.instanceOf(TarFormatError)
      expect(error.message).to.equal('the archive is truncated in member "disk.raw"')
    })

    it('a global pax header that renames every member', async () => {
      const archive = join(dir.dir, 'global.tar')
      const script = `import tarfile, io
with tarfile.open('${archive}', 'w', format=tarfile.PAX_FORMAT, pax_headers={'path': 'disk.raw'}) as t:
    i = tarfile.TarInfo('readme'); i.size = 2; t.addfile(i, io.BytesIO(b'hi'))`
      tool(PYTHON, '-c', script)
      const error = await rejection(() => listTarball(archive))
      expect(error.message).to.equal('a global pax header sets path for every member')
    })

    it('stops listing after MAX_MEMBERS members', async () => {
      const archive = join(dir.dir, 'many.tar')
      const script = `import tarfile
with tarfile.open('${archive}', 'w') as t:
    for i in range(${MAX_MEMBERS + 1}): t.addfile(tarfile.TarInfo(f'f{i}'))`
      tool(PYTHON, '-c', script)
      const listing = await listTarball(archive)
      expect(listing.tooManyMembers).to.equal(true)
      expect(listing.members).to.have.length(MAX_MEMBERS)
    })

    it('an aborted listing', async () => {
      const archive = join(dir.dir, 'copy.tar')
      const error = await rejection(() => listTarball(archive, AbortSignal.abort()))
      expect(error.name).to.equal('InterruptedError')
    })
  })
})
