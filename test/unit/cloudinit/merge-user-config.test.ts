import {expect} from 'chai'
import {parse} from 'yaml'

import {mergeUserConfig} from '../../../src/cloudinit/merge-user-config.js'
import {buildUserConfig, renderUserData} from '../../../src/cloudinit/user-data.js'
import {runTool} from '../fixture.js'
import {PROJECT_KEY, TYPICAL} from './specs.js'

/** vm's own config, as renderUserData builds it without a user config. */
const OURS = buildUserConfig(TYPICAL).config
const OUR_USER = (OURS.users as Array<Record<string, unknown>>)[0]!
const OUR_KEYS = Object.keys(OURS)
const SUDO = 'ALL=(ALL) NOPASSWD:ALL'

/**
 * User configs that have locked tools like vm out of their machines, or would: every one must
 * leave vm's user created as vm made it, with vm's key, and vm's host key and hostname in place.
 */
const HOSTILE: ReadonlyArray<[string, Record<string, unknown>]> = [
  ['a users list without vm\'s user', {users: [{name: 'bob', ssh_authorized_keys: ['ssh-ed25519 AAAAbob']}]}],
  ['users: [default]', {users: ['default']}],
  ['an empty users list', {users: []}],
  ['users as a map', {users: {vm: {sudo: false}}}],
  ['users as a string', {users: 'default, bob'}],
  [
    'an entry for vm that changes everything',
    {
      users: [
        'default',
        {
          name: 'vm',
          sudo: false,
          lock_passwd: false,
          'lock-passwd': false,
          shell: '/usr/sbin/nologin',
          ssh_authorized_keys: ['ssh-ed25519 AAAAattacker'],
          expiredate: '2000-01-01',
          inactive: '0',
          homedir: '/nonexistent',
          no_create_home: true,
          ssh_redirect_user: true,
          system: true,
          uid: 0,
          primary_group: 'nogroup',
          plain_text_passwd: 'x',
        },
      ],
    },
  ],
  ['an entry for vm with hyphenated keys', {users: [{name: 'vm', 'ssh-authorized-keys': 'ssh-ed25519 AAAAother', 'lock-passwd': false}]}],
  ['ssh_authorized_keys at the top level', {ssh_authorized_keys: ['ssh-ed25519 AAAAdefault']}],
  ['ssh_pwauth: true and disable_root: false', {ssh_pwauth: true, disable_root: false}],
  ['its own host keys', {ssh_keys: {ed25519_private: 'x', ed25519_public: 'y'}, ssh_deletekeys: false, ssh_genkeytypes: ['rsa']}],
  ['its own hostname', {hostname: 'evil', fqdn: 'evil.example', preserve_hostname: true, prefer_fqdn_over_hostname: true}],
  ['the legacy user key naming vm', {user: {name: 'vm', sudo: false, expiredate: '2000-01-01'}}],
  ['the legacy user key as the name vm', {user: 'vm'}],
  ['chpasswd for vm (expires its password)', {chpasswd: {expire: true, list: 'vm:secret'}}],
  ['chpasswd users for vm', {chpasswd: {users: [{name: 'vm', password: 'x', type: 'text'}]}}],
]
const ALL_AT_ONCE: Record<string, unknown> = Object.assign({}, ...HOSTILE.filter(([name]) => !name.startsWith('users as')).map(([, config]) => config))

describe('cloudinit/merge-user-config', () => {
  it('gives our config unchanged for an empty user config', () => {
    const merged = mergeUserConfig(OURS, {})
    expect(merged).to.deep.equal({config: OURS, notes: []})
    expect(Object.keys(merged.config)).to.deep.equal(OUR_KEYS)
  })

  it('orders keys ours first in our order, then the user\'s others in theirs', () => {
    const merged = mergeUserConfig(OURS, {runcmd: [['true']], ssh_pwauth: true, packages: ['git'], timezone: 'UTC'})
    expect(Object.keys(merged.config)).to.deep.equal([...OUR_KEYS, 'runcmd', 'packages', 'timezone'])
    expect(merged.config.ssh_pwauth).to.equal(true)
    expect(merged.notes).to.deep.equal([])
  })

  it('keeps the user\'s value for ssh_pwauth, disable_root, growpart and resize_rootfs', () => {
    const user = {ssh_pwauth: true, disable_root: false, growpart: {mode: 'off'}, resize_rootfs: false}
    const merged = mergeUserConfig(OURS, user)
    expect(merged.config).to.deep.equal({...OURS, ...user})
    expect(merged.notes).to.deep.equal([])
  })

  it('drops host key and hostname settings, one note per key', () => {
    const merged = mergeUserConfig(OURS, {
      ssh_keys: {rsa_private: 'x'},
      ssh_deletekeys: false,
      ssh_genkeytypes: ['rsa'],
      hostname: 'evil',
      fqdn: 'evil.example',
      preserve_hostname: true,
      prefer_fqdn_over_hostname: true,
    })
    expect(merged.config).to.deep.equal(OURS)
    expect(merged.notes).to.deep.equal([
      'ssh_keys: ignored, vm installs and pins the SSH host key.',
      'ssh_deletekeys: ignored, vm installs and pins the SSH host key.',
      'ssh_genkeytypes: ignored, vm installs and pins the SSH host key.',
      "hostname: ignored, vm sets the hostname to the machine's name.",
      "fqdn: ignored, vm sets the hostname to the machine's name.",
      "preserve_hostname: ignored, vm sets the hostname to the machine's name.",
      "prefer_fqdn_over_hostname: ignored, vm sets the hostname to the machine's name.",
    ])
  })

  it('puts our list entries first, then the user\'s, for lists both sides set', () => {
    const ours = buildUserConfig({...TYPICAL, mounts: [{tag: 'f0', guestPath: '/vagrant', fsType: 'virtiofs'}]}).config
    const merged = mergeUserConfig(ours, {
      bootcmd: ['echo theirs'],
      mounts: [['/dev/vdb', '/data']],
      write_files: [{path: '/etc/motd', content: 'hi'}],
    })
    expect(merged.config.bootcmd).to.deep.equal([['mkdir', '-p', '--', '/vagrant'], 'echo theirs'])
    expect(merged.config.mounts).to.deep.equal([['f0', '/vagrant', 'virtiofs', 'defaults,nofail', '0', '0'], ['/dev/vdb', '/data']])
    expect(merged.config.write_files).to.deep.equal([{path: '/etc/motd', content: 'hi'}])
    expect(Object.keys(merged.config)).to.deep.equal([...Object.keys(ours), 'write_files'])
    expect(merged.notes).to.deep.equal([])
  })

  it('keeps our list when the user\'s value is not a list (with a note), or empty (without)', () => {
    const ours = buildUserConfig({...TYPICAL, mounts: [{tag: 'f0', guestPath: '/vagrant', fsType: '9p'}]}).config
    const merged = mergeUserConfig(ours, {bootcmd: 'echo hi', mounts: null})
    expect(merged.config.bootcmd).to.deep.equal(ours.bootcmd)
    expect(merged.config.mounts).to.deep.equal(ours.mounts)
    expect(merged.notes).to.deep.equal(['bootcmd: expected a list, found "echo hi"; ignored.'])
  })

  it('keeps top-level ssh_authorized_keys, and says where they go unless users lists default', () => {
    const keys = ['ssh-ed25519 AAAAdefault']
    const alone = mergeUserConfig(OURS, {ssh_authorized_keys: keys})
    expect(alone.config.ssh_authorized_keys).to.deep.equal(keys)
    expect(alone.notes).to.deep.equal([
      'ssh_authorized_keys (top level) go to the image\'s default user, which cloud-init creates only when users lists "default": add "- default" to users, or put the keys in a user\'s entry.',
    ])
    for (const users of [['default'], ['bob, default'], [{groups: ['adm']}], [{name: 'default'}]]) {
      expect(mergeUserConfig(OURS, {ssh_authorized_keys: keys, users}).notes, JSON.stringify(users)).to.deep.equal([])
    }
    expect(mergeUserConfig(OURS, {ssh_authorized_keys: keys, user: 'ana'}).notes).to.deep.equal([])
  })

  it('keeps the legacy user key unless it names our user', () => {
    expect(mergeUserConfig(OURS, {user: 'ana'})).to.deep.equal({config: {...OURS, user: 'ana'}, notes: []})
    expect(mergeUserConfig(OURS, {user: {name: 'vm', sudo: false}})).to.deep.equal({
      config: OURS,
      notes: ['user: ignored, it names vm\'s own login user "vm".'],
    })
  })

  it('passes write_files through and notes the ones that may lock vm out', () => {
    const writeFiles = [
      {path: '/etc/ssh/sshd_config.d/10-no-keys.conf', content: 'PubkeyAuthentication no\n'},
      {path: '/etc/motd', content: 'hi'},
    ]
    const merged = mergeUserConfig(OURS, {write_files: writeFiles})
    expect(merged.config.write_files).to.deep.equal(writeFiles)
    expect(merged.notes).to.deep.equal([
      "write_files.0 writes /etc/ssh/sshd_config.d/10-no-keys.conf (sshd's configuration): this may lock vm out of the machine; vm cannot check it.",
    ])
  })

  it('keeps keys named like Object properties as plain keys', () => {
    const user = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "toString": "x"}') as Record<string, unknown>
    const merged = mergeUserConfig(OURS, user)
    expect(Object.keys(merged.config)).to.deep.equal([...OUR_KEYS, '__proto__', 'constructor', 'toString'])
    expect(Object.getPrototypeOf(merged.config)).to.equal(Object.prototype)
    expect((merged.config as {polluted?: unknown}).polluted).to.equal(undefined)
    expect(renderUserData({...TYPICAL, userConfig: user})).to.match(/^__proto__:\n {2}polluted: true\nconstructor: 1\ntoString: x\n$/m)
  })

  it('never changes its inputs, and shares nothing with them', () => {
    const ours = structuredClone(OURS)
    const user = {users: [{name: 'vm', groups: ['adm']}, {name: 'bob'}], packages: ['git'], growpart: {mode: 'off'}}
    const before = structuredClone(user)
    const merged = mergeUserConfig(ours, user)
    expect(ours).to.deep.equal(OURS)
    expect(user).to.deep.equal(before)
    ;(merged.config.packages as string[]).push('x')
    ;(merged.config.growpart as Record<string, unknown>).mode = 'auto'
    ;((merged.config.users as Array<Record<string, unknown>>)[0]!.ssh_authorized_keys as string[]).push('x')
    ;((merged.config.users as Array<Record<string, unknown>>)[1]! as Record<string, unknown>).name = 'eve'
    expect(ours).to.deep.equal(OURS)
    expect(user).to.deep.equal(before)
  })

  describe('keeps vm able to log in, whatever the user config', () => {
    for (const [name, user] of [...HOSTILE, ['all of them at once', ALL_AT_ONCE] as const]) {
      it(name, () => {
        const {config} = mergeUserConfig(OURS, user)
        const users = config.users as unknown[]
        const ourEntry = users[0] as Record<string, unknown>
        // Our entry comes first, with our settings; only keys may be added to it.
        expect({...ourEntry, ssh_authorized_keys: undefined}).to.deep.equal({...OUR_USER, ssh_authorized_keys: undefined})
        expect((ourEntry.ssh_authorized_keys as string[])[0]).to.equal(PROJECT_KEY)
        // No other map entry for our user that cloud-init would merge into ours.
        expect(users.slice(1).filter((entry) => typeof entry === 'object' && (entry as {name?: unknown}).name === 'vm')).to.deep.equal([])
        for (const key of ['hostname', 'preserve_hostname', 'ssh_keys', 'ssh_deletekeys', 'ssh_genkeytypes']) {
          expect(config[key], key).to.deep.equal(OURS[key])
        }
        expect(config).to.not.have.property('fqdn')
        expect(config).to.not.have.property('prefer_fqdn_over_hostname')
        expect(JSON.stringify(config.user ?? null)).to.not.contain('"vm"')
        expect(JSON.stringify(config.chpasswd ?? null)).to.not.contain('vm')
      })
    }

    it("as cloud-init itself reads the rendered user-data (its users normalisation, on the host's cloud-init)", () => {
      const texts = [...HOSTILE, ['all', ALL_AT_ONCE] as const].map(([, userConfig]) => renderUserData({...TYPICAL, userConfig}))
      for (const user of normalisedUsers(texts)) {
        expect(user.sudo).to.equal(SUDO)
        expect(user.lock_passwd).to.equal(true)
        expect(user.shell).to.equal('/bin/bash')
        expect(user.ssh_authorized_keys[0]).to.equal(PROJECT_KEY)
        for (const risky of ['expiredate', 'inactive', 'homedir', 'no_create_home', 'ssh_redirect_user', 'system', 'uid', 'primary_group', 'plain_text_passwd']) {
          expect(user, risky).to.not.have.property(risky)
        }
      }
    })

    it('and the rendered user-data reads back as the merged config', () => {
      const {config} = mergeUserConfig(OURS, ALL_AT_ONCE)
      expect(parse(renderUserData({...TYPICAL, userConfig: ALL_AT_ONCE}), {version: '1.1'})).to.deep.equal(config)
    })
  })
})

type NormalisedUser = {sudo: unknown; lock_passwd: unknown; shell: unknown; ssh_authorized_keys: string[]}

/**
 * What cloud-init 22.4 (cloudinit.distros.ug_util.normalize_users_groups) makes of each
 * user-data's users and user keys, on a Debian distro whose default user is "debian": the
 * settings it would create user "vm" with.
 */
function normalisedUsers(texts: readonly string[]): NormalisedUser[] {
  const script = `
import json, sys, yaml
from cloudinit import distros
from cloudinit.distros import ug_util
default_user = {"name": "debian", "lock_passwd": True, "sudo": ["ALL=(ALL) NOPASSWD:ALL"], "shell": "/bin/bash"}
distro = distros.fetch("debian")("debian", {"default_user": default_user}, None)
result = []
for text in json.load(sys.stdin):
    users, _groups = ug_util.normalize_users_groups(yaml.safe_load(text), distro)
    result.append(users["vm"])
print(json.dumps(result, default=str))
`
  const result = runTool('/usr/bin/python3', ['-c', script], 'cloud-init', JSON.stringify(texts))
  expect(result.status, result.stderr).to.equal(0)
  return JSON.parse(result.stdout) as NormalisedUser[]
}
