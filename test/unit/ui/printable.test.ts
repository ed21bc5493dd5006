import {expect} from 'chai'

import {hasControlCharacter, printable, printableLine} from '../../../src/ui/printable.js'

describe('ui/printable', () => {
  it('escapes what would drive the terminal: ESC sequences, CSI, BEL, NUL, DEL, CR', () => {
    expect(printable('a\u001b[2Jb\u009b31mc\u0007\u0000\u007f\r')).to.equal('a\\x1b[2Jb\\x9b31mc\\x07\\x00\\x7f\\x0d')
  })

  it('escapes bidirectional overrides and isolates, line separators and a BOM', () => {
    expect(printable('x\u202Ey\u2066z\u2028\uFEFF')).to.equal('x\\u{202e}y\\u{2066}z\\u{2028}\\u{feff}')
  })

  it('keeps tabs, newlines and UTF-8 as they are; printableLine escapes newlines too', () => {
    expect(printable('naïve\tcafé\n日本')).to.equal('naïve\tcafé\n日本')
    expect(printableLine('a\nb')).to.equal('a\\nb')
  })

  it('hasControlCharacter: true for any of them, tab and newline included; false for plain text', () => {
    for (const text of ['a\tb', 'a\nb', 'a\u001bb', 'a\u0085b', 'a\u202eb', '\u0000']) expect(hasControlCharacter(text), JSON.stringify(text)).to.equal(true)
    for (const text of ['plain', 'naïve café', '/srv/my site', '日本']) expect(hasControlCharacter(text), text).to.equal(false)
  })
})
