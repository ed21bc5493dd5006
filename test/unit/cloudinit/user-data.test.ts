import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'
import {parse} from 'yaml'

import {buildUserConfig, renderCloudConfig, renderUserData, type UserDataSpec} from '../../../src/cloudinit/user-data.js'
import {expectGolden, runTool} from '../fixture.js'
import {HOST_PRIVATE_KEY, HOST_PUBLIC_KEY, PROJECT_KEY, TYPICAL} from './specs.js'

/*
 * cloud-init reads user-data with PyYAML's safe_load, which follows YAML 1.1: there `on`, `yes`,
 * `no`, `off` are booleans and `0b101` a number. So the output is read back three ways: yaml's
 * default (1.2), yaml in 1.1 mode, and PyYAML itself. Golden file: ./user-data/typical.yaml
 * (UPDATE_GOLDEN=1 rewrites it).
 */

/** PyYAML's reading of TEXT, as JSON (what cloud-init would see). */
function pyyaml(text: string): unknown {
  const script = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'
  const result = runTool('python3', ['-c', script], 'python3-yaml', text)
  expect(result.status, result.stderr).to.equal(0)
  return JSON.parse(result.stdout)
}

const EXPECTED = {
  hostname: 'web',
  preserve_hostname: false,
  users: [
    {
      name: 'vm',
      gecos: 'vm',
      shell: '/bin/bash',
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      lock_passwd: true,
      ssh_authorized_keys: [PROJECT_KEY],
    },
  ],
  ssh_pwauth: false,
  disable_root: true,
  ssh_deletekeys: true,
  ssh_keys: {ed25519_private: `${HOST_PRIVATE_KEY}\n`, ed25519_public: HOST_PUBLIC_KEY},
  growpart: {mode: 'auto', devices: ['/']},
  resize_rootfs: true,
}

describe('cloudinit/user-data', () => {
  it('matches the golden file', () => {
    expectGolden(renderUserData(TYPICAL), new URL('user-data/typical.yaml', import.meta.url))
  })

  it('starts with the #cloud-config line cloud-init looks for', () => {
    expect(renderUserData(TYPICAL).split('\n')[0]).to.equal('#cloud-config')
  })

  it('reads back as exactly our config (YAML 1.2, YAML 1.1 and PyYAML)', () => {
    const text = renderUserData(TYPICAL)
    expect(parse(text)).to.deep.equal(EXPECTED)
    expect(parse(text, {version: '1.1'})).to.deep.equal(EXPECTED)
    expect(pyyaml(text)).to.deep.equal(EXPECTED)
  })

  it("creates only our user: no \"default\" entry, so the image's own user is not made", () => {
    const config = parse(renderUserData(TYPICAL)) as {users: unknown[]}
    expect(config.users).to.have.length(1)
    expect(config.users).to.not.include('default')
  })

  it('generates no host keys of its own and installs ours (private key ending in a newline)', () => {
    const config = parse(renderUserData({...TYPICAL, hostKey: {privateKey: `${HOST_PRIVATE_KEY}\n`, publicKey: HOST_PUBLIC_KEY}})) as typeof EXPECTED
    expect(config).to.not.have.property('ssh_genkeytypes')
    expect(config.ssh_deletekeys).to.equal(true)
    expect(config.ssh_keys).to.deep.equal({ed25519_private: `${HOST_PRIVATE_KEY}\n`, ed25519_public: HOST_PUBLIC_KEY})
  })

  it('keeps a hostile hostname one string value: no key or command gets in', () => {
    const hostname = 'web\nruncmd: [touch /pwned]\n#cloud-config\nusers: [default]'
    const text = renderUserData({...TYPICAL, hostname})
    for (const config of [parse(text), pyyaml(text)] as Array<Record<string, unknown>>) {
      expect(config.hostname).to.equal(hostname)
      expect(config).to.not.have.property('runcmd')
      expect(Object.keys(config)).to.deep.equal(Object.keys(EXPECTED))
      expect((config.users as unknown[]).length).to.equal(1)
    }
  })

  it('keeps a hostile key one list item', () => {
    const key = `${PROJECT_KEY}\n- ssh-rsa AAAAattacker\nruncmd: [id]`
    const config = pyyaml(renderUserData({...TYPICAL, authorizedKey: key})) as typeof EXPECTED
    expect(config.users[0]!.ssh_authorized_keys).to.deep.equal([key])
    expect(config).to.not.have.property('runcmd')
  })

  // Machine names like these pass the Vmfile's name rule; YAML 1.1 (cloud-init) must still read strings.
  for (const hostname of ['on', 'yes', '0b101', '007', '0755', 'null']) {
    it(`keeps the hostname "${hostname}" a string for cloud-init (YAML 1.1)`, () => {
      const text = renderUserData({...TYPICAL, hostname})
      expect(parse(text, {version: '1.1'}).hostname).to.equal(hostname)
      expect((pyyaml(text) as {hostname: unknown}).hostname).to.equal(hostname)
    })
  }

  describe('with shared folders and a user config', () => {
    const MOUNTS: UserDataSpec['mounts'] = [
      {tag: 'vm-folder-0', guestPath: '/vagrant', fsType: 'virtiofs'},
      {tag: 'vm-folder-1', guestPath: '/srv/my data', fsType: '9p'},
    ]
    const USER_CONFIG = {
      packages: ['git', 'on'],
      users: ['default', {name: 'vm', groups: ['docker'], sudo: false}],
      bootcmd: [['echo', 'theirs']],
      hostname: 'evil',
      write_files: [{path: '/etc/motd', content: 'hello\n', permissions: '0644'}],
    }
    const FULL: UserDataSpec = {...TYPICAL, mounts: MOUNTS, userConfig: USER_CONFIG}

    it('matches the golden file', () => {
      expectGolden(renderUserData(FULL), new URL('user-data/user-config-and-folders.yaml', import.meta.url))
    })

    it('renders buildUserConfig\'s config, and has no notes without a user config', () => {
      expect(buildUserConfig(TYPICAL)).to.deep.equal({config: EXPECTED, notes: []})
      expect(renderUserData(FULL)).to.equal(renderCloudConfig(buildUserConfig(FULL).config))
    })

    it('is the same bytes as before for an empty folder list', () => {
      expect(renderUserData({...TYPICAL, mounts: []})).to.equal(renderUserData(TYPICAL))
    })

    it('adds the mkdir commands and fstab entries after our other keys', () => {
      const config = parse(renderUserData({...TYPICAL, mounts: MOUNTS}), {version: '1.1'}) as Record<string, unknown>
      expect(Object.keys(config)).to.deep.equal([...Object.keys(EXPECTED), 'bootcmd', 'mounts'])
      expect(config.bootcmd).to.deep.equal([
        ['mkdir', '-p', '--', '/vagrant'],
        ['mkdir', '-p', '--', '/srv/my data'],
      ])
      expect(config.mounts).to.deep.equal([
        ['vm-folder-0', '/vagrant', 'virtiofs', 'defaults,nofail', '0', '0'],
        ['vm-folder-1', '/srv/my\\040data', '9p', 'trans=virtio,version=9p2000.L,msize=262144,nofail', '0', '0'],
      ])
    })

    it('merges the user config and returns the notes', () => {
      const {config, notes} = buildUserConfig(FULL)
      expect(config.hostname).to.equal('web')
      expect(config.users).to.deep.equal([{...EXPECTED.users[0], groups: ['docker']}, 'default'])
      expect(config.bootcmd).to.deep.equal([['mkdir', '-p', '--', '/vagrant'], ['mkdir', '-p', '--', '/srv/my data'], ['echo', 'theirs']])
      expect(notes).to.deep.equal([
        'users.1 is vm\'s own login user "vm": its ssh_authorized_keys, gecos, groups and ssh_import_id are used; ignored sudo, which vm must control to keep logging in.',
        "hostname: ignored, vm sets the hostname to the machine's name.",
      ])
    })

    it('reads back the same in PyYAML (a package named "on" stays a string)', () => {
      expect(pyyaml(renderUserData(FULL))).to.deep.equal(parse(renderUserData(FULL), {version: '1.1'}))
      expect((pyyaml(renderUserData(FULL)) as {packages: unknown}).packages).to.deep.equal(['git', 'on'])
    })

    it('writes no YAML aliases, even for values the user config shares', () => {
      const shared = {path: '/etc/a', content: 'x'}
      const text = renderUserData({...TYPICAL, userConfig: {write_files: [shared, shared]}})
      expect(text).to.not.match(/[&*]a\d/)
      expect((pyyaml(text) as {write_files: unknown[]}).write_files).to.deep.equal([shared, shared])
    })

    it("runs the mkdir commands as cloud-init does (its own shellify, then sh): a hostile path is one argument", () => {
      const dir = mkdtempSync(join(tmpdir(), 'vm-bootcmd-'))
      try {
        const hostile = join(dir, "a b'; touch pwned; echo '$(touch pwned2)")
        const text = renderUserData({...TYPICAL, mounts: [{tag: 't', guestPath: hostile, fsType: 'virtiofs'}]})
        const script = 'import sys, yaml; from cloudinit import util; sys.stdout.write(util.shellify(yaml.safe_load(sys.stdin.read())["bootcmd"]))'
        const shell = runTool('/usr/bin/python3', ['-c', script], 'cloud-init', text)
        expect(shell.status, shell.stderr).to.equal(0)
        const run = runTool('sh', ['-c', `cd "$1" && sh`, 'sh', dir], 'dash', shell.stdout)
        expect(run.status, run.stderr).to.equal(0)
        expect(existsSync(hostile)).to.equal(true)
        expect(readdirSync(dir)).to.deep.equal([hostile.slice(dir.length + 1)])
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })
  })
})
