import {expect} from 'chai'

import {formatSize, parseSize, sizeHint} from '../../../src/vmfile/size.js'

const KiB = 1024
const MiB = 1024 ** 2
const GiB = 1024 ** 3
const TiB = 1024 ** 4

describe('vmfile/size', () => {
  describe('parseSize accepts binary units in any case, with an optional space', () => {
    const table: [string, number][] = [
      ['1GiB', GiB],
      ['768MiB', 768 * MiB],
      ['1.5GiB', 1.5 * GiB],
      ['512M', 512 * MiB],
      ['10G', 10 * GiB],
      ['2T', 2 * TiB],
      ['1024KiB', 1024 * KiB],
      ['1K', KiB],
      ['1 GiB', GiB],
      ['  2 g  ', 2 * GiB],
      ['1gib', GiB],
      ['1GIB', GiB],
      ['0.5TiB', 512 * GiB],
      ['0GiB', 0],
      ['1.1K', 1126], // 1126.4 bytes, rounded to a whole byte
    ]
    for (const [text, bytes] of table) {
      it(`${JSON.stringify(text)} → ${bytes}`, () => expect(parseSize(text)).to.equal(bytes))
    }
  })

  describe('parseSize rejects everything else', () => {
    const rejected = ['1024', '', 'GiB', '2GB', '512MB', '2Gi', '2 gigs', '-1GiB', '1e3M', '.5GiB', '1,5GiB', '2B', '2PiB']
    rejected.push('9999999999TiB') // beyond Number.MAX_SAFE_INTEGER bytes
    for (const text of rejected) {
      it(JSON.stringify(text), () => expect(parseSize(text)).to.equal(undefined))
    }
  })

  describe('formatSize uses the largest unit that holds the size exactly', () => {
    const table: [number, string][] = [
      [GiB, '1GiB'],
      [768 * MiB, '768MiB'],
      [1.5 * GiB, '1536MiB'],
      [64 * TiB, '64TiB'],
      [128 * MiB, '128MiB'],
      [KiB, '1KiB'],
      [1000, '1000 bytes'],
      [0, '0 bytes'],
    ]
    for (const [bytes, text] of table) {
      it(`${bytes} → ${text}`, () => expect(formatSize(bytes)).to.equal(text))
    }

    it('parses back to the same number', () => {
      for (const bytes of [KiB, 3 * MiB, 768 * MiB, 10 * GiB, 5 * TiB]) expect(parseSize(formatSize(bytes))).to.equal(bytes)
    })
  })

  describe('sizeHint', () => {
    const table: [unknown, string | undefined][] = [
      [1024, 'add a unit, e.g. 1024MiB'],
      ['2048', 'add a unit, e.g. 1024MiB'],
      ['2GB', 'did you mean 2GiB? (sizes are binary: 1GiB = 1024MiB)'],
      ['512mb', 'did you mean 512MiB? (sizes are binary: 1GiB = 1024MiB)'],
      ['1.5 TB', 'did you mean 1.5TiB? (sizes are binary: 1GiB = 1024MiB)'],
      ['2Gi', 'did you mean 2GiB?'],
      ['2 gigs', undefined],
      [true, undefined],
      [null, undefined],
    ]
    for (const [value, hint] of table) {
      it(`${JSON.stringify(value)} → ${JSON.stringify(hint)}`, () => expect(sizeHint(value)).to.equal(hint))
    }
  })
})
