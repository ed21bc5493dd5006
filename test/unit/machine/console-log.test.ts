import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {consoleTail, readConsoleTail} from '../../../src/machine/console-log.js'

describe('machine/console-log', () => {
  describe('consoleTail', () => {
    it('strips CSI colours and cursor moves, OSC titles, and CRLF', () => {
      const text = '\x1b[0;32m  OK  \x1b[0m] Started \x1b[1mssh.service\x1b[0m.\r\n\x1b]0;debian\x07login: \x1b[2J\x1b[H\r\n'
      expect(consoleTail(text, 10)).to.deep.equal(['  OK  ] Started ssh.service.', 'login:'])
    })

    it('drops stray control characters, keeps tabs and UTF-8', () => {
      expect(consoleTail('a\x00b\x07c\x7f\td — ü\n\x1bMReset\n', 10)).to.deep.equal(['abc\td — ü', 'Reset'])
    })

    it('keeps the last N non-empty lines, without trailing spaces', () => {
      const text = ['one', '', 'two   ', '   ', 'three', 'four', ''].join('\n')
      expect(consoleTail(text, 2)).to.deep.equal(['three', 'four'])
      expect(consoleTail(text, 10)).to.deep.equal(['one', 'two', 'three', 'four'])
    })

    it('gives nothing for an empty log', () => {
      expect(consoleTail('', 5)).to.deep.equal([])
    })
  })

  describe('readConsoleTail', () => {
    let dir: string

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vm-console-'))
    })

    after(async () => {
      await rm(dir, {recursive: true, force: true})
    })

    it('reads the last lines of a log file', async () => {
      const path = join(dir, 'serial.log')
      await writeFile(path, Array.from({length: 40}, (_, i) => `line ${i + 1}\r\n`).join(''))
      expect(await readConsoleTail(path, 3)).to.deep.equal(['line 38', 'line 39', 'line 40'])
      expect(await readConsoleTail(path)).to.have.length(25)
    })

    it('reads only the last 64 KiB of a big log', async () => {
      const path = join(dir, 'big.log')
      await writeFile(path, `FIRST\n${'x'.repeat(100 * 1024)}\nlast\n`)
      const lines = await readConsoleTail(path, 100)
      expect(lines).to.not.include('FIRST')
      expect(lines!.at(-1)).to.equal('last')
    })

    it('is undefined for a log it cannot read', async () => {
      expect(await readConsoleTail(join(dir, 'missing.log'))).to.equal(undefined)
    })
  })
})
