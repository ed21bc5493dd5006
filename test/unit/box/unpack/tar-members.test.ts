import {expect} from 'chai'

import {
  isGnuSparseName,
  memberProblem,
  normaliseName,
  parsePaxRecords,
  pathProblem,
  paxSparse,
  type TarMember,
} from '../../../../src/box/unpack/tar-members.js'

const member = (fields: Partial<TarMember> & {path: string}): TarMember => ({
  index: 0,
  realPath: fields.path,
  type: 'File',
  size: 0,
  sparse: false,
  ...fields,
})

describe('box/unpack tar-members', () => {
  describe('pathProblem', () => {
    it('accepts relative names, "./" prefixes and names with dots in them', () => {
      for (const name of ['disk.raw', './disk.raw', 'a/b/c.img', '.hidden', 'a..b', '...']) expect(pathProblem(name), name).to.equal(undefined)
    })

    it('refuses absolute names (POSIX, Windows drive and UNC forms)', () => {
      for (const name of ['/etc/passwd', '\\\\server\\share', 'C:evil', 'c:/evil']) expect(pathProblem(name), name).to.equal('has an absolute path')
    })

    it('refuses any ".." component, with either slash', () => {
      for (const name of ['..', '../x', 'a/../../x', 'a/..', 'a\\..\\x']) expect(pathProblem(name), name).to.equal('has a ".." component')
    })

    it('refuses an empty name', () => {
      expect(pathProblem('')).to.equal('has an empty name')
    })
  })

  describe('memberProblem', () => {
    it('accepts regular files (all three kinds), sparse files and folders', () => {
      for (const type of ['File', 'OldFile', 'ContiguousFile', 'Directory']) expect(memberProblem(member({path: 'x', type})), type).to.equal(undefined)
      expect(memberProblem(member({path: 'disk.raw', type: 'SparseFile', sparse: true}))).to.equal(undefined)
    })

    it('names the member, its type and a link target', () => {
      expect(memberProblem(member({path: 'l', type: 'SymbolicLink', linkpath: '/etc/shadow'}))).to.equal(
        'member "l" is a symbolic link (to "/etc/shadow"); only regular files and folders are allowed',
      )
      expect(memberProblem(member({path: 'h', type: 'Link', linkpath: 'x'}))).to.equal('member "h" is a hard link (to "x"); only regular files and folders are allowed')
      expect(memberProblem(member({path: 'v', type: 'TapeVolumeHeader'}))).to.equal('member "v" is a tape volume label; only regular files and folders are allowed')
      expect(memberProblem(member({path: 'q', type: 'Unknown ("Q")'}))).to.equal('member "q" is of tar type Unknown ("Q"); only regular files and folders are allowed')
    })

    it('checks the real name of a sparse member as well as its stored name', () => {
      const sparse = member({path: 'GNUSparseFile.1/disk.raw', realPath: '../../disk.raw', sparse: true})
      expect(memberProblem(sparse)).to.equal('member "../../disk.raw" has a ".." component')
      expect(memberProblem(member({path: './GNUSparseFile.12/disk.raw', sparse: true}))).to.equal(
        'member "./GNUSparseFile.12/disk.raw" is a sparse file whose real name is missing',
      )
    })
  })

  it('normaliseName drops "./", empty parts and a trailing slash', () => {
    expect(['./disk.raw', '././a//b/', 'disk.raw', './'].map(normaliseName)).to.deep.equal(['disk.raw', 'a/b', 'disk.raw', ''])
  })

  it('isGnuSparseName spots the GNUSparseFile.<pid> folder at any depth', () => {
    expect(['./GNUSparseFile.123/disk.raw', 'images/GNUSparseFile.1/a', 'GNUSparseFile/x', 'GNUSparseFile.x/y'].map(isGnuSparseName)).to.deep.equal([true, true, false, false])
  })

  describe('parsePaxRecords and paxSparse', () => {
    const record = (key: string, value: string) => {
      const body = ` ${key}=${value}\n`
      let length = Buffer.byteLength(body) + 1
      if (String(length).length + Buffer.byteLength(body) !== length) length += 1
      return `${length}${body}`
    }

    it('reads records by their byte lengths, values with "=", newlines and UTF-8 included', () => {
      const text = record('path', 'a=b/é.raw') + record('comment', 'two\nlines') + record('size', '42')
      expect([...parsePaxRecords(text)]).to.deep.equal([
        ['path', 'a=b/é.raw'],
        ['comment', 'two\nlines'],
        ['size', '42'],
      ])
    })

    it('stops at a record whose length does not fit', () => {
      expect([...parsePaxRecords(`${record('path', 'ok')}99 path=x\n`)]).to.deep.equal([['path', 'ok']])
    })

    it('finds GNU sparse formats 1.0 (realsize, name) and 0.0 (size)', () => {
      expect(paxSparse(parsePaxRecords(record('GNU.sparse.major', '1') + record('GNU.sparse.name', 'disk.raw') + record('GNU.sparse.realsize', '16777216')))).to.deep.equal({
        name: 'disk.raw',
        realSize: 16777216,
      })
      expect(paxSparse(parsePaxRecords(record('GNU.sparse.size', '4096') + record('GNU.sparse.numblocks', '1')))).to.deep.equal({realSize: 4096})
      expect(paxSparse(parsePaxRecords(record('path', 'disk.raw')))).to.equal(undefined)
    })
  })
})
