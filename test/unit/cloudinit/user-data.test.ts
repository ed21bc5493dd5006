import {expect} from 'chai'
import {parse} from 'yaml'

import {renderUserData} from '../../../src/cloudinit/user-data.js'
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
  ssh_genkeytypes: [],
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
    expect(config.ssh_genkeytypes).to.deep.equal([])
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
})
