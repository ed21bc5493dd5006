import {expect} from 'chai'

import {chpasswdWithoutOurs} from '../../../src/cloudinit/merge-chpasswd.js'

const NOTE = 'chpasswd: ignored the password for "vm": vm\'s user logs in with its key only, and an expired password would lock vm out.'

describe('cloudinit/merge-chpasswd', () => {
  it('drops our user from a list given as lines, keeping the other lines and expire', () => {
    expect(chpasswdWithoutOurs({expire: true, list: 'root:secret\nvm:RANDOM\n bob:pw\n'}, ['vm'])).to.deep.equal({
      value: {expire: true, list: 'root:secret\n bob:pw\n'},
      notes: [NOTE],
    })
  })

  it('drops our user from a list of strings and from users', () => {
    expect(
      chpasswdWithoutOurs({list: ['vm:x', 'bob:y'], users: [{name: 'vm', password: 'x', type: 'text'}, {name: 'carol', type: 'RANDOM'}]}, ['vm']),
    ).to.deep.equal({value: {list: ['bob:y'], users: [{name: 'carol', type: 'RANDOM'}]}, notes: [NOTE]})
  })

  it('leaves a chpasswd without our user as it is, without a note', () => {
    const chpasswd = {expire: false, list: ['vmx:1', 'bob:2'], users: [{name: 'bob', password: 'p'}]}
    expect(chpasswdWithoutOurs(chpasswd, ['vm'])).to.deep.equal({value: chpasswd, notes: []})
  })

  it('leaves values of other shapes to the schema check', () => {
    for (const value of ['vm:x', ['vm:x'], null, 3]) {
      expect(chpasswdWithoutOurs(value, ['vm'])).to.deep.equal({value, notes: []})
    }
  })

  it('does not change its input', () => {
    const chpasswd = {list: ['vm:x'], users: [{name: 'vm'}]}
    chpasswdWithoutOurs(chpasswd, ['vm'])
    expect(chpasswd).to.deep.equal({list: ['vm:x'], users: [{name: 'vm'}]})
  })
})
