import {expect} from 'chai'

import {domainName} from '../../src/machine/names.js'
import {DEFAULT_MAC, domainXml, makeProject, useProject, type Call, type Project, VIRSH, virsh, vm} from './helpers.js'

const VMFILE = 'box: debian-12\nmachines:\n  alpha: {}\n  beta: {}\n'

/** alpha runs with a lease for 192.168.122.45; beta does not exist. */
function alphaRunningBetaMissing(project: Project): Call[] {
  const alpha = domainName(project.dir, 'alpha')
  const beta = domainName(project.dir, 'beta')
  return [
    {argv: virsh('domstate', alpha), stdout: 'running\n\n'},
    {argv: virsh('dumpxml', alpha), stdout: domainXml(project, 'alpha')},
    {argv: virsh('net-dhcp-leases', 'default', '--mac', DEFAULT_MAC), stdout: VIRSH.leases([{mac: DEFAULT_MAC, ip: '192.168.122.45', hostname: 'alpha'}])},
    {argv: virsh('domstate', beta), stderr: VIRSH.missingDomain(beta), exitCode: 1},
  ]
}

const sorted = (calls: Array<{argv: string[]}>) => calls.map((c) => c.argv.join(' ')).sort()

describe('vm status', () => {
  const current = useProject(VMFILE)
  let project: Project
  beforeEach(() => {
    project = current()
  })

  it('prints a table read live from libvirt: one machine running with its IP, one not created', async () => {
    const calls = alphaRunningBetaMissing(project)
    const result = await vm(project, ['status'], calls)
    expect(result.stderr).to.equal('')
    expect(result.stdout).to.equal(['NAME   STATE        IP', 'alpha  running      192.168.122.45', 'beta   not_created  -', ''].join('\n'))
    expect(result.exitCode).to.equal(0)
    // The machines are read in parallel: compare the calls, not their order.
    expect(sorted(result.calls)).to.deep.equal(sorted(calls))
    expect(result.calls.every((c) => c.scripted)).to.equal(true)
  })

  it('--json prints the same as JSON, and nothing else', async () => {
    const result = await vm(project, ['status', '--json'], alphaRunningBetaMissing(project))
    const expected = [
      {name: 'alpha', state: 'running', ip: '192.168.122.45', domain: domainName(project.dir, 'alpha'), problem: null},
      {name: 'beta', state: 'not_created', ip: null, domain: domainName(project.dir, 'beta'), problem: null},
    ]
    expect(result.stderr).to.equal('')
    expect(result.stdout).to.equal(`${JSON.stringify(expected, null, 2)}\n`)
    expect(result.exitCode).to.equal(0)
  })

  it('--verbose prints each virsh command to stderr as a line one could run', async () => {
    const beta = domainName(project.dir, 'beta')
    const single = await makeProject('box: debian-12\nmachines:\n  beta: {}\n', 'shop')
    try {
      const domain = domainName(single.dir, 'beta')
      const result = await vm(single, ['status', '--verbose'], [{argv: virsh('domstate', domain), stderr: VIRSH.missingDomain(domain), exitCode: 1}])
      expect(result.stderr).to.equal(`$ virsh -c qemu:///system domstate ${domain}\n`)
      expect(result.stdout).to.equal(['NAME  STATE        IP', 'beta  not_created  -', ''].join('\n'))
      expect(result.exitCode).to.equal(0)
      expect(domain).to.not.equal(beta)
    } finally {
      await single.cleanup()
    }
  })

  it('without --verbose prints no commands', async () => {
    const result = await vm(project, ['status'], alphaRunningBetaMissing(project))
    expect(result.stderr).to.not.include('$ virsh')
  })

  it('says when libvirt cannot be reached (exit 1)', async () => {
    const alpha = domainName(project.dir, 'alpha')
    const beta = domainName(project.dir, 'beta')
    const result = await vm(project, ['status'], [
      {argv: virsh('domstate', alpha), stderr: VIRSH.noSocket, exitCode: 1},
      {argv: virsh('domstate', beta), stderr: VIRSH.noSocket, exitCode: 1},
    ])
    expect(result.exitCode).to.equal(1)
    expect(result.stdout).to.equal('')
    expect(result.stderr.split('\n')[0]).to.equal('Error: Cannot reach libvirt at qemu:///system: is libvirtd running?')
  })

  it('says when the user may not use libvirt\'s socket, and how to get the permission (exit 1)', async () => {
    // virsh 9.0's words when the socket is not the user's to open (runuser -u nobody).
    const denied = "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied\n"
    const calls = ['alpha', 'beta'].map((m) => ({argv: virsh('domstate', domainName(project.dir, m)), stderr: denied, exitCode: 1}))
    const result = await vm(project, ['status'], calls)
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/^Error: No permission to use libvirt at qemu:\/\/\/system\.$/m)
    expect(result.stderr).to.match(/^Hint: Add yourself to the libvirt group with `sudo adduser "\$USER" libvirt`/m)
  })

  it('names a machine QEMU paused on a failed disk write, and says how to get it going again', async () => {
    const alpha = domainName(project.dir, 'alpha')
    const beta = domainName(project.dir, 'beta')
    const calls = [
      {argv: virsh('domstate', alpha), stdout: 'paused\n\n'},
      {argv: virsh('dumpxml', alpha), stdout: domainXml(project, 'alpha')},
      {argv: virsh('domstate', '--reason', alpha), stdout: 'paused (I/O error)\n\n'},
      {argv: virsh('domstate', beta), stdout: 'paused\n\n'},
      {argv: virsh('dumpxml', beta), stdout: domainXml(project, 'beta')},
      {argv: virsh('domstate', '--reason', beta), stdout: 'paused (user)\n\n'},
    ]
    const result = await vm(project, ['status'], calls)
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.equal(['NAME   STATE               IP', 'alpha  paused (I/O error)  -', 'beta   paused              -', ''].join('\n'))
    expect(result.stderr).to.equal(
      'alpha: QEMU paused it because a write to its disk failed: the disk that holds /var/lib/libvirt/images/vmfile (`df -h /var/lib/libvirt/images/vmfile`) is probably full. Free space there, then `vm up alpha` lets it run again.\n',
    )
  })
})
