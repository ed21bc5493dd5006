import {expect} from 'chai'

import {didYouMean, editDistance} from '../../../src/vmfile/did-you-mean.js'

const KEYS = ['box', 'cpus', 'memory', 'disk', 'accelerator', 'machines']

describe('vmfile/did-you-mean', () => {
  describe('editDistance counts a swap of neighbours as one edit', () => {
    const table: [string, string, number][] = [
      ['memory', 'memory', 0],
      ['memroy', 'memory', 1], // swap
      ['cpu', 'cpus', 1], // insertion
      ['disks', 'disk', 1], // deletion
      ['dusk', 'disk', 1], // substitution
      ['acclerator', 'accelerator', 1],
      ['machnies', 'machines', 1],
      ['ram', 'memory', 5],
      ['', 'box', 3],
      ['ca', 'abc', 3], // optimal string alignment: no edits inside a swapped pair
    ]
    for (const [a, b, distance] of table) {
      it(`${a} → ${b}: ${distance}`, () => expect(editDistance(a, b)).to.equal(distance))
    }
  })

  describe('didYouMean', () => {
    const table: [string, string | undefined][] = [
      ['memroy', 'memory'],
      ['cpu', 'cpus'],
      ['Memory', 'memory'], // case is ignored
      ['mashines', 'machines'],
      ['accelarator', 'accelerator'],
      ['dsk', 'disk'],
      ['ram', undefined], // too far
      ['x', undefined], // two edits would replace the whole word
      ['provisioner', undefined],
      ['memory', undefined], // never suggests the word itself
    ]
    for (const [word, expected] of table) {
      it(`${word} → ${String(expected)}`, () => expect(didYouMean(word, KEYS)).to.equal(expected))
    }

    it('prefers the closest candidate, then the earlier one', () => {
      expect(didYouMean('kvn', ['auto', 'kvm', 'tcg'])).to.equal('kvm')
      expect(didYouMean('ab', ['ac', 'ad'])).to.equal('ac')
      expect(didYouMean('abcx', ['abxy', 'abcd'])).to.equal('abcd')
    })
  })
})
