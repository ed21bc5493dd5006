import {expect} from 'chai'

import {mergeUsers} from '../../../src/cloudinit/merge-users.js'

const OURS = [
  {name: 'vm', gecos: 'vm', shell: '/bin/bash', sudo: 'ALL=(ALL) NOPASSWD:ALL', lock_passwd: true, ssh_authorized_keys: ['ssh-ed25519 AAAAours vm']},
]

describe('cloudinit/merge-users', () => {
  it('keeps our entries alone when the user has no users', () => {
    expect(mergeUsers(OURS, undefined)).to.deep.equal({users: OURS, notes: []})
    expect(mergeUsers(OURS, null)).to.deep.equal({users: OURS, notes: []})
  })

  it('puts our entry first, then the user\'s entries in their order, "default" included', () => {
    const theirs = ['default', {name: 'bob', groups: ['docker']}, 'carol, dave']
    expect(mergeUsers(OURS, theirs)).to.deep.equal({users: [...OURS, ...theirs], notes: []})
  })

  it('replaces a users value that is not a list with ours, and says so', () => {
    for (const theirs of [{vm: {sudo: false}}, 'default, bob', 7]) {
      const merged = mergeUsers(OURS, theirs)
      expect(merged.users).to.deep.equal(OURS)
      expect(merged.notes).to.have.length(1)
      expect(merged.notes[0]).to.match(/^users: expected a list, found .*; vm kept only its own user "vm"\./)
    }
    expect(mergeUsers(OURS, {vm: {}}).notes[0]).to.contain('found a map')
  })

  it('adds the keys of an entry for our user after ours, once each, and takes its gecos, groups and ssh_import_id', () => {
    const merged = mergeUsers(OURS, [
      {name: 'vm', gecos: 'Ana', groups: 'docker, adm', ssh_import_id: ['gh:ana'], ssh_authorized_keys: ['ssh-ed25519 AAAAana', ' ssh-ed25519 AAAAours vm ']},
      {name: 'vm', 'ssh-authorized-keys': 'ssh-ed25519 AAAAbob'},
    ])
    expect(merged).to.deep.equal({
      users: [
        {
          name: 'vm',
          gecos: 'Ana',
          shell: '/bin/bash',
          sudo: 'ALL=(ALL) NOPASSWD:ALL',
          lock_passwd: true,
          ssh_authorized_keys: ['ssh-ed25519 AAAAours vm', 'ssh-ed25519 AAAAana', 'ssh-ed25519 AAAAbob'],
          groups: 'docker, adm',
          ssh_import_id: ['gh:ana'],
        },
      ],
      notes: [],
    })
  })

  it('ignores every other field of an entry for our user, and names them in one note', () => {
    const merged = mergeUsers(OURS, [
      {
        name: 'vm',
        sudo: false,
        lock_passwd: false,
        'lock-passwd': false,
        shell: '/usr/sbin/nologin',
        expiredate: '2000-01-01',
        inactive: '0',
        homedir: '/nonexistent',
        no_create_home: true,
        ssh_redirect_user: true,
        system: true,
        uid: 0,
        primary_group: 'nogroup',
        passwd: '$6$hash',
      },
    ])
    expect(merged.users).to.deep.equal(OURS)
    expect(merged.notes).to.deep.equal([
      'users.0 is vm\'s own login user "vm": its ssh_authorized_keys, gecos, groups and ssh_import_id are used; ' +
        'ignored sudo, lock_passwd, lock-passwd, shell, expiredate, inactive, homedir, no_create_home, ssh_redirect_user, system, uid, primary_group, passwd, ' +
        'which vm must control to keep logging in.',
    ])
  })

  it('does not complain about fields that repeat our values', () => {
    expect(mergeUsers(OURS, [{name: 'vm', sudo: 'ALL=(ALL) NOPASSWD:ALL', shell: '/bin/bash', lock_passwd: true}])).to.deep.equal({users: OURS, notes: []})
  })

  it('ignores keys that are not text, with a note', () => {
    const merged = mergeUsers(OURS, [{name: 'vm', ssh_authorized_keys: [42]}])
    expect(merged.users).to.deep.equal(OURS)
    expect(merged.notes).to.deep.equal(['users.0.ssh_authorized_keys: expected a public key or a list of public keys (text); ignored.'])
  })

  it('merges entries for our user wherever they are, and keeps the others in order', () => {
    const merged = mergeUsers(OURS, ['default', {name: 'vm', groups: ['adm']}, {name: 'bob'}])
    expect(merged.users).to.deep.equal([{...OURS[0], groups: ['adm']}, 'default', {name: 'bob'}])
  })

  it('changes neither input, and shares nothing with them', () => {
    const ours = structuredClone(OURS)
    const theirs = [{name: 'vm', ssh_authorized_keys: ['k'], groups: ['adm']}, {name: 'bob', groups: ['x']}]
    const before = structuredClone(theirs)
    const merged = mergeUsers(ours, theirs)
    expect(ours).to.deep.equal(OURS)
    expect(theirs).to.deep.equal(before)
    ;(merged.users[0] as {ssh_authorized_keys: string[]}).ssh_authorized_keys.push('x')
    ;(merged.users[0] as {groups: string[]}).groups.push('y')
    ;(merged.users[1] as {groups: string[]}).groups.push('z')
    expect(ours).to.deep.equal(OURS)
    expect(theirs).to.deep.equal(before)
  })
})
