import {expect} from 'chai'

import {domainName} from '../../src/machine/names.js'
import {DEFAULT_MAC, domainXml, useProject, type Project, VIRSH, virsh, vm} from './helpers.js'

const VMFILE = 'box: debian-12\nmachines:\n  alpha: {}\n  beta: {}\n'

/* libvirt 9.0's texts, as real virsh printed them for vm's machines (LC_ALL=C, TCG). */
const dominfo = (saved: boolean) =>
  `Id:             -\nName:           x\nOS Type:        hvm\nState:          shut off\nPersistent:     yes\nAutostart:      disable\nManaged save:   ${saved ? 'yes' : 'no'}\nSecurity model: none\n\n`
const saved = (domain: string) => `\nDomain '${domain}' state saved by libvirt\n\n`
const virtiofsRefusal = (domain: string) =>
  `error: Failed to save domain '${domain}' state\nerror: Requested operation is not valid: cannot migrate domain: non-migratable device: 0000:00:01.0:00.0/vhost-user-fs\n`

/** Output lines with elapsed times blanked and sorted: machines run in parallel. */
const lines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/\(\d+\.\d s\)/, '(N s)'))
    .sort()

describe('vm suspend and vm resume', () => {
  const current = useProject(VMFILE)
  let project: Project
  let alpha: string
  let beta: string
  beforeEach(() => {
    project = current()
    alpha = domainName(project.dir, 'alpha')
    beta = domainName(project.dir, 'beta')
  })

  const running = (domain: string, machine: string) => [
    {argv: virsh('domstate', domain), stdout: 'running\n\n'},
    {argv: virsh('dumpxml', domain), stdout: domainXml(project, machine)},
    {argv: virsh('net-dhcp-leases', 'default', '--mac', DEFAULT_MAC), stdout: VIRSH.leases([])},
  ]
  const shutOff = (domain: string, machine: string, managedSave: boolean) => [
    {argv: virsh('domstate', domain), stdout: 'shut off\n\n'},
    {argv: virsh('dumpxml', domain), stdout: domainXml(project, machine)},
    {argv: virsh('dominfo', domain), stdout: dominfo(managedSave)},
  ]

  it('vm suspend saves a running machine with --running and notes one already suspended', async () => {
    const calls = [...running(alpha, 'alpha'), {argv: virsh('managedsave', '--running', alpha), stdout: saved(alpha)}, ...shutOff(beta, 'beta', true)]
    const result = await vm(project, ['suspend'], calls)
    expect(result.stderr).to.equal('')
    expect(result.exitCode).to.equal(0)
    expect(lines(result.stdout)).to.deep.equal(['alpha: suspended (N s)', 'beta: already suspended.'])
    expect(result.calls.every((c) => c.scripted)).to.equal(true)
    expect(result.calls.map((c) => c.argv)).to.deep.include(virsh('managedsave', '--running', alpha))
  })

  it('vm suspend of a halted machine is a note, not an error, and saves nothing', async () => {
    const calls = shutOff(beta, 'beta', false)
    const result = await vm(project, ['suspend', 'beta'], calls)
    expect(result.stderr).to.equal('')
    expect(result.stdout).to.equal('beta: halted; nothing to suspend.\n')
    expect(result.exitCode).to.equal(0)
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })

  it('vm suspend of a machine with a virtiofs folder: says why and names vm halt (exit 1)', async () => {
    const calls = [...running(alpha, 'alpha'), {argv: virsh('managedsave', '--running', alpha), stderr: virtiofsRefusal(alpha), exitCode: 1}]
    const result = await vm(project, ['suspend', 'alpha'], calls)
    expect(result.exitCode).to.equal(1)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.equal(
      'Error: alpha cannot be suspended: it has a live folder (virtiofs or 9p), whose state QEMU cannot save with the memory.\n' +
        'Hint: Halt it instead with `vm halt alpha`; `vm up alpha` boots it again. Folders of type rsync do not prevent suspend.\n',
    )
  })

  it('vm resume restores a suspended machine and waits until it runs', async () => {
    const calls = [...shutOff(beta, 'beta', true), {argv: virsh('start', beta), stdout: `Domain '${beta}' started\n\n`}, {argv: virsh('domstate', beta), stdout: 'running\n\n'}]
    const result = await vm(project, ['resume', 'beta'], calls)
    expect(result.stderr).to.equal('')
    expect(result.exitCode).to.equal(0)
    expect(lines(result.stdout)).to.deep.equal(['beta: resumed (N s)'])
    expect(result.calls.map((c) => c.argv)).to.deep.equal([...calls.map((c) => c.argv)])
  })

  it('vm resume of a halted machine does not boot it: exit 1 naming vm up', async () => {
    const calls = shutOff(beta, 'beta', false)
    const result = await vm(project, ['resume', 'beta'], calls)
    expect(result.exitCode).to.equal(1)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.equal('Error: beta is halted, not suspended: there is no saved memory to resume.\nHint: Boot it with `vm up beta`.\n')
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })

  it('vm resume of a paused machine resumes it', async () => {
    const calls = [
      {argv: virsh('domstate', alpha), stdout: 'paused\n\n'},
      {argv: virsh('dumpxml', alpha), stdout: domainXml(project, 'alpha')},
      {argv: virsh('resume', alpha), stdout: `Domain '${alpha}' resumed\n\n`},
      {argv: virsh('domstate', alpha), stdout: 'running\n\n'},
    ]
    const result = await vm(project, ['resume', 'alpha'], calls)
    expect(result.stderr).to.equal('')
    expect(lines(result.stdout)).to.deep.equal(['alpha: resumed (N s)'])
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })

  it('vm suspend of an unknown machine: exit 2 listing the machines, no call to libvirt', async () => {
    const result = await vm(project, ['suspend', 'gamma'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal(`Error: No machine named "gamma" in ${project.dir}/Vmfile.\nHint: Machines here: alpha, beta.\n`)
    expect(result.calls).to.deep.equal([])
  })
})
