import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {formatProblems} from '../../../src/vmfile/problem.js'
import {resolveVmfile} from '../../../src/vmfile/resolve.js'
import type {MachineConfig} from '../../../src/vmfile/types.js'

const FIXTURES = join(import.meta.dirname, 'fixtures')
const VALID = join(FIXTURES, 'valid')
const INVALID = join(FIXTURES, 'invalid')

const MiB = 1024 ** 2
const GiB = 1024 ** 3
const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
const DEBIAN = 'https://cloud.debian.org/images/cloud/bookworm/latest'

/** A machine with every built-in default and a catalog box; override what a fixture changes. */
function machine(name: string, box: string | MachineConfig['box'], rest: Partial<MachineConfig> = {}): MachineConfig {
  const source = typeof box === 'string' ? ({kind: 'catalog', name: box} as const) : box
  return {name, box: source, cpus: 2, memoryBytes: GiB, diskBytes: 10 * GiB, accelerator: 'auto', folders: [], ports: [], provisioners: [], ...rest}
}

/** What each valid fixture resolves to. Every file in fixtures/valid must have an entry. */
const VALID_EXPECTATIONS: Record<string, MachineConfig[]> = {
  'example.yaml': [machine('alpha', 'debian-12'), machine('beta', 'debian-12', {memoryBytes: 805306368})],
  'no-machines.yaml': [machine('default', 'ubuntu-24.04')],
  'per-machine.yaml': [
    machine('10', 'debian-12', {cpus: 4, memoryBytes: 512 * MiB, diskBytes: 2 * 1024 ** 4}),
    machine('2', 'fedora-40', {cpus: 1, memoryBytes: 1610612736, diskBytes: 20 * GiB, accelerator: 'tcg'}),
  ],
  'null-machines.yaml': [machine('web', 'debian-12'), machine('db', 'debian-12')],
  'box-maps.yaml': [
    machine('local', {kind: 'url', url: join(VALID, 'images/base.qcow2')}),
    machine('absolute', {kind: 'url', url: '/var/lib/images/base.qcow2'}),
    machine('file-url', {kind: 'url', url: 'file:///srv/images/base.qcow2', sha256: SHA}),
    machine('pinned', {kind: 'url', url: `${DEBIAN}/debian-12-generic-amd64.qcow2`, sha256: SHA}),
    machine('sums', {kind: 'url', url: `${DEBIAN}/debian-12-generic-amd64.qcow2`, checksumUrl: `${DEBIAN}/SHA512SUMS`}),
  ],
  'environment.yaml': [
    machine('web', 'debian-12', {
      cloudInit: {kind: 'inline', config: {packages: ['git'], write_files: [{path: '/etc/motd', content: 'hello'}]}},
      folders: [
        {hostPath: join(VALID, 'site'), guestPath: '/srv/site', type: 'rsync', exclude: []},
        {hostPath: '/data/media', guestPath: '/srv/media', type: 'virtiofs', exclude: []},
        {hostPath: VALID, guestPath: '/vagrant', type: 'rsync', exclude: ['node_modules', '*.log']},
      ],
      ports: [
        {hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80, protocol: 'tcp'},
        {hostIp: '127.0.0.1', hostPort: 5353, guestPort: 53, protocol: 'udp'},
        {hostIp: '0.0.0.0', hostPort: 8443, guestPort: 443, protocol: 'tcp'},
      ],
      provisioners: [
        {kind: 'shell', label: 'shell #1 (inline)', inline: 'apt-get install -y nginx', privileged: true, env: {}, args: []},
        {kind: 'shell', label: 'shell #2 (setup.sh)', path: join(VALID, 'setup.sh'), privileged: false, env: {APP_ENV: 'dev', WORKERS: '4'}, args: ['--fast', '2']},
        {kind: 'file', label: 'file #3 (app.conf)', source: join(VALID, 'app.conf'), destination: '/tmp/app.conf'},
        {kind: 'ansible', label: 'ansible #4 (site.yml)', playbook: join(VALID, 'site.yml'), extraVars: {role: 'web'}},
      ],
      privateNetwork: {kind: 'static', ip: '10.10.0.11'},
      bridge: 'br0',
    }),
    machine('db', 'debian-12', {
      memoryBytes: 2 * GiB,
      cloudInit: {kind: 'file', path: join(VALID, 'db-cloud-config.yaml')},
      network: 'lab',
      privateNetwork: {kind: 'dhcp'},
    }),
  ],
  'warnings-only.yaml': [machine('web', {kind: 'url', url: 'https://example.org/image.qcow2', sha256: SHA})],
}

function fixtures(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort()
}

/** The formatted problems a fixture should produce, or undefined when it has no .expected file. */
function expectedOutput(dir: string, name: string): string | undefined {
  const path = join(dir, name.replace(/\.yaml$/, '.expected'))
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined
}

function run(dir: string, name: string, env: Record<string, string> = {}) {
  const source = readFileSync(join(dir, name), 'utf8')
  const result = resolveVmfile(source, join(dir, 'Vmfile'), env)
  const output = result.problems.length === 0 ? undefined : `${formatProblems(result.problems, source, 'Vmfile')}\n`
  return {...result, output}
}

describe('vmfile/validate', () => {
  describe('fixtures/valid resolve to the expected machines', () => {
    it('has an expectation for every fixture', () => {
      expect(fixtures(VALID)).to.deep.equal(Object.keys(VALID_EXPECTATIONS).sort())
    })

    for (const name of fixtures(VALID)) {
      it(name, () => {
        const {vmfile, output} = run(VALID, name)
        expect(output).to.equal(expectedOutput(VALID, name))
        expect(vmfile).to.deep.equal({path: join(VALID, 'Vmfile'), projectDir: VALID, machines: VALID_EXPECTATIONS[name]})
      })
    }
  })

  describe('fixtures/invalid produce exactly their .expected output and no Vmfile', () => {
    for (const name of fixtures(INVALID)) {
      it(name, () => {
        const expected = expectedOutput(INVALID, name)
        expect(expected, `${name} needs a sibling .expected file`).to.be.a('string')
        const {vmfile, output} = run(INVALID, name)
        expect(output).to.equal(expected)
        expect(vmfile).to.equal(undefined)
      })
    }
  })

  it('reports all problems of a file at once: 4 errors and 2 warnings at their positions', () => {
    const {problems} = run(INVALID, 'many-problems.yaml')
    expect(problems.map((p) => [p.severity, p.path, p.line, p.col])).to.deep.equal([
      ['error', 'cpus', 3, 7],
      ['warning', 'memroy', 4, 1],
      ['error', 'machines.web.memory', 7, 13],
      ['error', 'machines.web.disk', 8, 11],
      ['error', 'machines.db.accelerator', 10, 18],
      ['warning', 'machines.db.cpu', 11, 5],
    ])
  })

  it('reports a bad inherited value once, at the top-level key', () => {
    const {problems} = run(INVALID, 'inherited-bad-memory.yaml')
    expect(problems).to.deep.equal([
      {severity: 'error', path: 'memory', message: 'expected at least 128MiB, found "64MiB"', line: 3, col: 9, length: 5},
    ])
  })

  it('reports a bad value shared through an alias once, at the anchored node', () => {
    const source = 'box: debian-12\nmachines:\n  web: &settings\n    memory: 2 gigs\n  db: *settings\n'
    const {problems} = resolveVmfile(source, '/project/Vmfile', {})
    expect(problems.map((p) => [p.path, p.line, p.col])).to.deep.equal([['machines.web.memory', 4, 13]])
  })

  describe('VM_ACCELERATOR', () => {
    it('overrides the accelerator of every machine', () => {
      const {vmfile, problems} = run(VALID, 'per-machine.yaml', {VM_ACCELERATOR: 'kvm'})
      expect(problems).to.deep.equal([])
      expect(vmfile?.machines.map((m) => m.accelerator)).to.deep.equal(['kvm', 'kvm'])
    })

    it('is ignored when empty', () => {
      const {vmfile} = run(VALID, 'per-machine.yaml', {VM_ACCELERATOR: ''})
      expect(vmfile?.machines.map((m) => m.accelerator)).to.deep.equal(['auto', 'tcg'])
    })

    it('reports an invalid value once, against the variable rather than the file', () => {
      const {vmfile, problems, output} = run(VALID, 'example.yaml', {VM_ACCELERATOR: 'KVM'})
      expect(vmfile).to.equal(undefined)
      expect(problems).to.deep.equal([
        {
          severity: 'error',
          path: 'accelerator',
          message: 'expected auto, kvm or tcg, found "KVM"; did you mean kvm?',
          envVar: 'VM_ACCELERATOR',
        },
      ])
      expect(output).to.equal('environment variable VM_ACCELERATOR: expected auto, kvm or tcg, found "KVM"; did you mean kvm?\n')
    })

    it('does not hide a bad accelerator in the file', () => {
      const {output} = resolveAndFormat('box: a\naccelerator: fast\n', {VM_ACCELERATOR: 'tcg'})
      expect(output).to.equal('Vmfile:2:14 accelerator: expected auto, kvm or tcg, found "fast"\naccelerator: fast\n             ^^^^')
    })
  })

  describe('box maps', () => {
    it('resolves a relative local path against the folder of the Vmfile, not the current directory', () => {
      const {vmfile} = resolveVmfile('box: {url: ../images/base.qcow2}\n', '/home/ann/project/Vmfile', {})
      expect(vmfile?.machines[0]?.box).to.deep.equal({kind: 'url', url: '/home/ann/images/base.qcow2'})
    })

    it('lower-cases sha256', () => {
      const {vmfile} = resolveVmfile(`box: {url: 'https://x.org/a.img', sha256: ${SHA.toUpperCase()}}\n`, '/p/Vmfile', {})
      expect(vmfile?.machines[0]?.box).to.deep.equal({kind: 'url', url: 'https://x.org/a.img', sha256: SHA})
    })

    it('allows a checksum for a local path but rejects two', () => {
      const one = resolveVmfile(`box: {url: /srv/a.img, checksum_url: 'file:///srv/SHA256SUMS'}\n`, '/p/Vmfile', {})
      expect(one.vmfile?.machines[0]?.box).to.deep.equal({kind: 'url', url: '/srv/a.img', checksumUrl: 'file:///srv/SHA256SUMS'})
      const two = resolveAndFormat(`box: {url: /srv/a.img, sha256: ${SHA}, checksum_url: 'file:///srv/SUMS'}\n`)
      expect(two.output.split('\n')[0]).to.equal('Vmfile:1:98 box.checksum_url: expected either sha256 or checksum_url, found both')
    })
  })

  it('keeps warnings next to a valid Vmfile', () => {
    const {vmfile, problems} = resolveVmfile('box: a\nmemroy: 2GiB\n', '/p/Vmfile', {})
    expect(vmfile?.machines.map((m) => m.memoryBytes)).to.deep.equal([GiB])
    expect(problems).to.deep.equal([
      {severity: 'warning', path: 'memroy', message: 'unknown key (ignored); did you mean memory?', line: 2, col: 1, length: 6},
    ])
  })
})

function resolveAndFormat(source: string, env: Record<string, string> = {}) {
  const result = resolveVmfile(source, '/project/Vmfile', env)
  return {...result, output: formatProblems(result.problems, source, 'Vmfile')}
}
