import {spawnSync} from 'node:child_process'

import {expect} from 'chai'

import {shellQuote} from '../../../src/exec/shell-quote.js'

/** What `sh` makes of the quoted line: each word printf'd with a NUL after it. */
function wordsAfterShell(line: string): string[] {
  const result = spawnSync('sh', ['-c', `printf '%s\\0' ${line}`], {encoding: 'utf8'})
  expect(result.status, result.stderr).to.equal(0)
  const words = result.stdout.split('\0')
  expect(words.pop()).to.equal('')
  return words
}

const HOSTILE = [
  'plain',
  'two words',
  "it's",
  '"double"',
  "'''",
  '$(touch /tmp/pwned)',
  '`id`',
  '$HOME',
  '${PATH}',
  'line\nbreak',
  'tab\there',
  '',
  '-n',
  '--',
  '*',
  '~',
  '#comment',
  'a;b&&c||d|e>f<g',
  'back\\slash',
  '!event',
  '{a,b}',
  'ünï côdé',
  '%s%d',
]

describe('exec/shell-quote', () => {
  it('gives back every hostile word exactly when pasted into sh', () => {
    expect(wordsAfterShell(shellQuote(HOSTILE))).to.deep.equal(HOSTILE)
  })

  it('gives back each word on its own too', () => {
    for (const word of HOSTILE) expect(wordsAfterShell(shellQuote([word])), JSON.stringify(word)).to.deep.equal([word])
  })

  it('leaves plain words bare and quotes the rest with single quotes', () => {
    expect(shellQuote(['virsh', '-c', 'qemu:///system', 'vol-create-as', 'vmfile', 'a_b.qcow2', '1073741824', '--format=qcow2', 'x@y', '50%', 'a+b,c'])).to.equal(
      'virsh -c qemu:///system vol-create-as vmfile a_b.qcow2 1073741824 --format=qcow2 x@y 50% a+b,c',
    )
    expect(shellQuote(['define', '/tmp/my dir/domain.xml', '', "it's"])).to.equal(`define '/tmp/my dir/domain.xml' '' 'it'\\''s'`)
  })
})
