import {expect} from 'chai'

import {dotted, locate} from '../../../src/vmfile/locate.js'
import {parseVmfile} from '../../../src/vmfile/parse.js'

const SOURCE = `box: debian-12
machines:
  web:
    memory: 2 gigs
    box:
      url: https://example.org/x.qcow2
  db:
  cache: {cpus: 1}
defaults: &d
  memory: 64MiB
other: *d
`

describe('vmfile/locate', () => {
  const parsed = parseVmfile(SOURCE)

  const table: [string, (string | number)[], 'key' | 'value', ReturnType<typeof locate>][] = [
    ['a top-level value', ['box'], 'value', {line: 1, col: 6, length: 9}],
    ['a top-level key', ['box'], 'key', {line: 1, col: 1, length: 3}],
    ['a nested value', ['machines', 'web', 'memory'], 'value', {line: 4, col: 13, length: 6}],
    ['a block map value, clipped to its first line', ['machines', 'web', 'box'], 'value', {line: 6, col: 7, length: 32}],
    ['an empty value, at its key', ['machines', 'db'], 'value', {line: 7, col: 3, length: 2}],
    ['a value in a flow map', ['machines', 'cache', 'cpus'], 'value', {line: 8, col: 17, length: 1}],
    ['a missing key, at the deepest key that exists', ['machines', 'db', 'box'], 'value', {line: 7, col: 3, length: 2}],
    ['a missing nested key', ['machines', 'web', 'box', 'sha256'], 'value', {line: 5, col: 5, length: 3}],
    ['through an alias, at the anchored node', ['other', 'memory'], 'value', {line: 10, col: 11, length: 5}],
    ['nothing for the empty path', [], 'value', undefined],
    ['nothing when the first key is missing', ['nope', 'x'], 'value', undefined],
  ]
  for (const [name, path, on, expected] of table) {
    it(name, () => expect(locate(parsed, path, on)).to.deep.equal(expected))
  }

  it('dotted joins the path with dots', () => {
    expect(dotted(['machines', 'beta', 'memory'])).to.equal('machines.beta.memory')
    expect(dotted([])).to.equal('')
  })
})
