import {mkdir} from 'node:fs/promises'

import {expect} from 'chai'

import {acquireFlock} from '../../src/exec/flock.js'

import {domainName} from '../../src/machine/names.js'
import {DEFAULT_MAC, domainXml, ensureBuilt, makeProject, type Call, type Project, useProject, VIRSH, virsh, vm} from './helpers.js'

/* libvirt 9.0's texts, as real virsh printed them for vm's machines (LC_ALL=C, TCG). */
const noLeases = VIRSH.leases([])
const dominfo = (saved: boolean) =>
  `Id:             -\nName:           x\nOS Type:        hvm\nState:          shut off\nPersistent:     yes\nAutostart:      disable\nManaged save:   ${saved ? 'yes' : 'no'}\nSecurity model: none\n\n`
const names = (...list: string[]) => `${list.map((n) => `${n}\n`).join('')}\n`
const snapshotXml = (name: string, state: string, seconds: number, extra = '') =>
  `<domainsnapshot>\n  <name>${name}</name>\n${extra}  <state>${state}</state>\n  <creationTime>${seconds}</creationTime>\n` +
  `  <memory snapshot='${state === 'shutoff' ? 'no' : 'internal'}'/>\n  <disks>\n    <disk name='vda' snapshot='internal'/>\n    <disk name='sda' snapshot='no'/>\n  </disks>\n</domainsnapshot>\n\n`

/** Output lines with elapsed times blanked. */
const blank = (text: string) => text.replaceAll(/\(\d+\.\d s\)/g, '(N s)')

describe('vm snapshot', () => {
  describe('one machine', () => {
    const current = useProject('box: debian-12\n')
    let project: Project
    let domain: string
    beforeEach(() => {
      project = current()
      domain = domainName(project.dir, 'default')
    })

    const inspect = (state: 'running' | 'shut off'): Call[] => [
      {argv: virsh('domstate', domain), stdout: `${state}\n\n`},
      {argv: virsh('dumpxml', domain), stdout: domainXml(project, 'default')},
      ...(state === 'running' ? [{argv: virsh('net-dhcp-leases', 'default', '--mac', DEFAULT_MAC), stdout: noLeases}] : []),
    ]

    it('save NAME: the only machine, a running one: disk and memory', async () => {
      const calls = [
        ...inspect('running'),
        {argv: virsh('snapshot-list', '--domain', domain, '--name'), stdout: names('older')},
        {argv: virsh('snapshot-create-as', '--domain', domain, '--name', 'before-upgrade', '--description', 'nginx 1.22', '--atomic'), stdout: 'Domain snapshot before-upgrade created\n'},
      ]
      const result = await vm(project, ['snapshot', 'save', 'before-upgrade', '--description', 'nginx 1.22'], calls)
      expect(result.stderr).to.equal('')
      expect(blank(result.stdout)).to.equal('default: saved snapshot before-upgrade (disk and memory, running) (N s)\n')
      expect(result.exitCode).to.equal(0)
      expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
    })

    it('save MACHINE NAME with a name that is not one: usage error (exit 2), libvirt not asked', async () => {
      const result = await vm(project, ['snapshot', 'save', 'default', 'before upgrade'])
      expect(result.exitCode).to.equal(2)
      expect(result.stderr).to.equal(
        'Error: "before upgrade" cannot name a snapshot: use only letters, digits, ".", "_" and "-".\nHint: For example: `vm snapshot save default before-upgrade`.\n',
      )
      expect(result.calls).to.deep.equal([])
    })

    it('save of a machine not created names vm up', async () => {
      const result = await vm(project, ['snapshot', 'save', 'x'], [{argv: virsh('domstate', domain), stderr: VIRSH.missingDomain(domain), exitCode: 1}])
      expect(result.exitCode).to.equal(1)
      expect(result.stderr).to.equal('Error: default is not created: there is nothing to snapshot.\nHint: Create it with `vm up default` first.\n')
    })

    it('save of a running machine with a virtiofs folder: says why and names vm halt (exit 1)', async () => {
      const refusal = `error: Requested operation is not valid: cannot migrate domain: non-migratable device: 0000:00:01.0:00.0/vhost-user-fs\n`
      const calls = [
        ...inspect('running'),
        {argv: virsh('snapshot-list', '--domain', domain, '--name'), stdout: names()},
        {argv: virsh('snapshot-create-as', '--domain', domain, '--name', 'live', '--atomic'), stderr: refusal, exitCode: 1},
      ]
      const result = await vm(project, ['snapshot', 'save', 'live'], calls)
      expect(result.exitCode).to.equal(1)
      expect(result.stdout).to.equal('')
      expect(result.stderr).to.equal(
        'Error: default cannot be snapshotted while it runs: it has a live folder (virtiofs), whose state QEMU cannot save with the memory.\n' +
          'Hint: Halt it first with `vm halt default`, then `vm snapshot save default live` (a shut-off snapshot holds the disk); `vm up default` boots it again.\n',
      )
    })

    it('restore of a shut-off snapshot leaves the machine shut off', async () => {
      const calls = [
        ...inspect('running'),
        {argv: virsh('snapshot-list', '--domain', domain, '--name'), stdout: names('cold')},
        {argv: virsh('snapshot-revert', '--domain', domain, '--snapshotname', 'cold'), stdout: 'Domain snapshot cold reverted\n\n'},
        ...inspect('shut off'),
      ]
      const result = await vm(project, ['snapshot', 'restore', 'cold'], calls)
      expect(result.stderr).to.equal('')
      expect(blank(result.stdout)).to.equal('default: restored snapshot cold; shut off (N s)\n')
      expect(result.exitCode).to.equal(0)
      expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
    })

    it('restore of a suspended machine removes the managed save first; running without a lease is explained', async () => {
      const calls = [
        ...inspect('shut off'),
        {argv: virsh('snapshot-list', '--domain', domain, '--name'), stdout: names('before')},
        {argv: virsh('dominfo', domain), stdout: dominfo(true)},
        {argv: virsh('managedsave-remove', domain), stdout: `Removed managedsave image for domain '${domain}'\n`},
        {argv: virsh('snapshot-revert', '--domain', domain, '--snapshotname', 'before'), stdout: 'Domain snapshot before reverted\n\n'},
        ...inspect('running'),
      ]
      const result = await vm(project, ['snapshot', 'restore', 'default', 'before'], calls)
      expect(result.exitCode).to.equal(0)
      expect(blank(result.stdout)).to.equal(
        'default: discarded the memory `vm suspend` saved: it belongs to the state being replaced\ndefault: restored snapshot before; running (N s)\n',
      )
      expect(result.stderr).to.match(/^default: runs, but libvirt has no DHCP lease for it, so `vm ssh` cannot find it yet: .*`vm halt default` and `vm up default`/)
      expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
    })

    it('restore or delete of an unknown snapshot lists the ones there and changes nothing', async () => {
      for (const verb of ['restore', 'delete']) {
        const calls = [...inspect('running'), {argv: virsh('snapshot-list', '--domain', domain, '--name'), stdout: names('a', 'b')}]
        const result = await vm(project, ['snapshot', verb, 'c'], calls)
        expect(result.exitCode).to.equal(1)
        expect(result.stderr).to.equal('Error: default has no snapshot named c.\n  Snapshots of default: a, b\nHint: `vm snapshot list default` shows them with their dates.\n')
        expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
      }
    })

    it('delete removes the snapshot', async () => {
      const calls = [
        ...inspect('running'),
        {argv: virsh('snapshot-list', '--domain', domain, '--name'), stdout: names('a')},
        {argv: virsh('snapshot-delete', '--domain', domain, '--snapshotname', 'a'), stdout: 'Domain snapshot a deleted\n\n'},
      ]
      const result = await vm(project, ['snapshot', 'delete', 'a'], calls)
      expect(result.stderr).to.equal('')
      expect(blank(result.stdout)).to.equal('default: deleted snapshot a (N s)\n')
      expect(result.calls.every((c) => c.scripted)).to.equal(true)
    })

    it('list of a machine without snapshots says how to take one', async () => {
      const result = await vm(project, ['snapshot', 'list'], [...inspect('running'), {argv: virsh('snapshot-list', '--domain', domain, '--name'), stdout: names()}])
      expect(result.exitCode).to.equal(0)
      expect(result.stdout).to.equal('No snapshots of default; `vm snapshot save default NAME` takes one.\n')
    })
  })

  describe('several machines', () => {
    const current = useProject('box: debian-12\nmachines:\n  alpha: {}\n  beta: {}\n')
    let project: Project
    let alpha: string
    let beta: string
    beforeEach(() => {
      project = current()
      alpha = domainName(project.dir, 'alpha')
      beta = domainName(project.dir, 'beta')
    })

    const listCalls = (): Call[] => [
      {argv: virsh('domstate', alpha), stdout: 'shut off\n\n'},
      {argv: virsh('dumpxml', alpha), stdout: domainXml(project, 'alpha')},
      {argv: virsh('snapshot-list', '--domain', alpha, '--name'), stdout: names('halted-1', 'before-upgrade')},
      {argv: virsh('snapshot-current', '--domain', alpha, '--name'), stdout: 'halted-1\n\n'},
      {argv: virsh('snapshot-dumpxml', '--domain', alpha, '--snapshotname', 'before-upgrade'), stdout: snapshotXml('before-upgrade', 'running', 1_796_126_413, '  <description>marker\nv1</description>\n')},
      {
        argv: virsh('snapshot-dumpxml', '--domain', alpha, '--snapshotname', 'halted-1'),
        stdout: snapshotXml('halted-1', 'shutoff', 1_796_126_433, '  <parent>\n    <name>before-upgrade</name>\n  </parent>\n'),
      },
      {argv: virsh('domstate', beta), stderr: VIRSH.missingDomain(beta), exitCode: 1},
    ]

    it('list: every machine, oldest first, the current one starred; a machine not created adds nothing', async () => {
      const result = await vm(project, ['snapshot', 'list'], listCalls(), {TZ: 'UTC'})
      expect(result.stderr).to.equal('')
      expect(result.stdout).to.equal(
        [
          'MACHINE  NAME            CREATED              STATE     DESCRIPTION',
          'alpha    before-upgrade  2026-12-01 12:00:13  running   marker v1',
          'alpha    halted-1 *      2026-12-01 12:00:33  shut off',
          '',
        ].join('\n'),
      )
      expect(result.exitCode).to.equal(0)
      expect(result.calls.every((c) => c.scripted)).to.equal(true)
    })

    it('list shows CREATED in the local time zone', async () => {
      const result = await vm(project, ['snapshot', 'list'], listCalls(), {TZ: 'Asia/Tokyo'})
      expect(result.stdout.split('\n')[1]).to.contain('2026-12-01 21:00:13')
    })

    it('list --json prints the documented shape, and nothing else', async () => {
      const result = await vm(project, ['snapshot', 'list', '--json'], listCalls())
      expect(result.stderr).to.equal('')
      expect(JSON.parse(result.stdout)).to.deep.equal([
        {machine: 'alpha', name: 'before-upgrade', createdAt: '2026-12-01T12:00:13.000Z', state: 'running', description: 'marker\nv1', parent: null, current: false},
        {machine: 'alpha', name: 'halted-1', createdAt: '2026-12-01T12:00:33.000Z', state: 'shutoff', description: null, parent: 'before-upgrade', current: true},
      ])
    })

    it('list MACHINE asks about that machine only', async () => {
      const result = await vm(project, ['snapshot', 'list', 'beta'], [{argv: virsh('domstate', beta), stderr: VIRSH.missingDomain(beta), exitCode: 1}])
      expect(result.exitCode).to.equal(0)
      expect(result.stdout).to.equal('No snapshots of beta; `vm snapshot save beta NAME` takes one.\n')
      expect(result.calls).to.have.length(1)
    })

    it('save NAME without a machine: which one? (exit 2, nothing asked)', async () => {
      const result = await vm(project, ['snapshot', 'save', 'before'])
      expect(result.exitCode).to.equal(2)
      expect(result.stderr).to.equal('Error: This project has 2 machines; say which one: `vm snapshot save MACHINE NAME`.\nHint: One of: alpha, beta.\n')
      expect(result.calls).to.deep.equal([])
    })

    it('restore MACHINE without a name asks for the name', async () => {
      const result = await vm(project, ['snapshot', 'restore', 'beta'])
      expect(result.exitCode).to.equal(2)
      expect(result.stderr).to.equal("Error: Say the snapshot's name: `vm snapshot restore beta NAME`.\nHint: See them with `vm snapshot list beta`.\n")
    })
  })

  it('save takes the project lock: with --no-wait it fails at once while another command holds it', async function () {
    this.timeout(180_000)
    await ensureBuilt()
    const project = await makeProject('box: debian-12\n')
    try {
      await mkdir(`${project.dir}/.vm`, {recursive: true})
      const held = await acquireFlock(`${project.dir}/.vm/lock`, {wait: false})
      if (held === 'busy') throw new Error('lock unexpectedly busy')
      try {
        const result = await vm(project, ['snapshot', 'save', 'x', '--no-wait'])
        expect(result.exitCode).to.equal(1)
        expect(result.stderr).to.match(/^Error: Another vm command is changing this project's machines: /)
        expect(result.calls).to.deep.equal([])
      } finally {
        await held.release()
      }
    } finally {
      await project.cleanup()
    }
  })
})
