import {execFileSync} from 'node:child_process'

import {expect} from 'chai'

import {remoteCommand, singleQuote} from '../../../src/folders/remote-script.js'

/** Runs TEXT the way sshd hands a command to the login shell. */
function sh(text: string): string {
  return execFileSync('sh', ['-c', text], {encoding: 'utf8'})
}

describe('folders/remote-script', () => {
  const nasty = ["it's", '"$HOME"', '`id`', '$(id)', 'a\nb', '\\', "''", '-n', ' lead', 'ü', '*', '!x']

  it('single-quotes any value so the shell gives it back byte for byte', () => {
    for (const value of nasty) {
      expect(sh(`printf %s ${singleQuote(value)}`), value).to.equal(value)
    }
  })

  it('passes a script through the command intact, with the login user\'s uid and gid as $1 and $2', () => {
    const script = `printf '%s|' ${nasty.map(singleQuote).join(' ')} "$1" "$2" "$0"`
    const uid = String(process.getuid?.())
    const gid = String(process.getgid?.())
    for (const sudo of [false, ...(uid === '0' ? [true] : [])]) {
      expect(sh(remoteCommand(script, {sudo})), `sudo: ${sudo}`).to.equal([...nasty, uid, gid, 'vm-sync', ''].join('|'))
    }
  })

  it('asks sudo never to prompt, and not at all for root', () => {
    const command = remoteCommand('true', {sudo: true})
    expect(command).to.contain('sudo -n sh -c')
    expect(command).to.match(/if \[ "\$u" = 0 \]; then sh -c/)
    expect(remoteCommand('true', {sudo: false})).not.to.contain('sudo')
  })
})
