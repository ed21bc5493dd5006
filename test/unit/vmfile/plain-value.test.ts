import {expect} from 'chai'

import {toPlain} from '../../../src/vmfile/plain-value.js'

describe('vmfile/plain-value', () => {
  it('turns nested Maps into objects, lists kept, keys as strings', () => {
    const value = new Map<unknown, unknown>([['a', [new Map([['b', 2]])]], [1, null]])
    expect(toPlain(value)).to.deep.equal({a: [{b: 2}], 1: null})
  })

  it('keeps a key named __proto__ as a key instead of setting the prototype', () => {
    const plain = toPlain(new Map([['__proto__', new Map([['polluted', true]])]])) as Record<string, unknown>
    expect(Object.getPrototypeOf(plain)).to.equal(Object.prototype)
    expect(Object.keys(plain)).to.deep.equal(['__proto__'])
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
  })
})
