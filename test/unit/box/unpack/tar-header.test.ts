import {expect} from 'chai'

import {decodeNumber, paddedSize, parseHeaderBlock, TarFormatError} from '../../../../src/box/unpack/tar-header.js'

/** A header block with a valid checksum: FIELDS are [offset, bytes] written over zeros. */
function header(fields: Array<[number, string | Buffer]>): Buffer {
  const block = Buffer.alloc(512)
  for (const [offset, value] of fields) (typeof value === 'string' ? Buffer.from(value, 'latin1') : value).copy(block, offset)
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return block
}

describe('box/unpack tar-header', () => {
  describe('decodeNumber', () => {
    it('reads octal with NUL or space terminators, and empty as 0', () => {
      expect(decodeNumber(Buffer.from('00000001750\0', 'latin1'), 'size')).to.equal(1000)
      expect(decodeNumber(Buffer.from('  1750 \0    ', 'latin1'), 'size')).to.equal(1000)
      expect(decodeNumber(Buffer.alloc(12), 'size')).to.equal(0)
    })

    it("reads GNU's base-256 form, which sizes of 8 GiB and more need", () => {
      const field = Buffer.alloc(12)
      field[0] = 0x80
      field.writeUIntBE(20 * 1024 ** 3, 6, 6)
      expect(decodeNumber(field, 'size')).to.equal(20 * 1024 ** 3)
    })

    it('refuses garbage, negative and oversized numbers', () => {
      expect(() => decodeNumber(Buffer.from('12a4\0', 'latin1'), 'size')).to.throw(TarFormatError, 'malformed size ("12a4")')
      expect(() => decodeNumber(Buffer.alloc(12, 0xff), 'size')).to.throw(TarFormatError, 'negative size')
      expect(() => decodeNumber(Buffer.from([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'size')).to.throw(
        TarFormatError,
        'impossibly large size',
      )
    })
  })

  describe('parseHeaderBlock', () => {
    it('returns undefined for a zero block (the end of the archive)', () => {
      expect(parseHeaderBlock(Buffer.alloc(512))).to.equal(undefined)
    })

    it('joins the POSIX ustar prefix to the name', () => {
      const block = header([
        [0, 'disk.raw'],
        [124, '00000000020\0'],
        [156, '0'],
        [257, 'ustar\u000000'],
        [345, 'images/debian'],
      ])
      expect(parseHeaderBlock(block)).to.deep.equal({name: 'images/debian/disk.raw', size: 16, typeflag: '0', linkname: '', isExtended: false})
    })

    it('reads an old GNU sparse header: its real size and whether extension blocks follow', () => {
      const block = header([
        [0, 'disk.raw'],
        [124, '00000001000\0'],
        [156, 'S'],
        [257, 'ustar  \0'],
        [345, 'not a prefix in GNU headers'],
        [482, Buffer.from([1])],
        [483, '00100000000\0'],
      ])
      expect(parseHeaderBlock(block)).to.deep.equal({name: 'disk.raw', size: 512, typeflag: 'S', linkname: '', isExtended: true, realSize: 16 * 1024 * 1024})
    })

    it('reads a v7 header (no magic) and a NUL type flag as a regular file', () => {
      expect(parseHeaderBlock(header([[0, 'old.img'], [124, '0\0']]))).to.deep.equal({name: 'old.img', size: 0, typeflag: '0', linkname: '', isExtended: false})
    })

    it('refuses a block whose checksum does not match, and a short block', () => {
      const block = header([[0, 'disk.raw']])
      block[0] = 0x65
      expect(() => parseHeaderBlock(block)).to.throw(TarFormatError, 'checksum does not match')
      expect(() => parseHeaderBlock(Buffer.alloc(100, 1))).to.throw(TarFormatError, 'ends in the middle of a header')
    })
  })

  it('paddedSize rounds up to whole blocks', () => {
    expect([0, 1, 512, 513].map(paddedSize)).to.deep.equal([0, 512, 512, 1024])
  })
})
