import {expect} from 'chai'

import {domainName} from '../../src/machine/names.js'
import {ownedDomainXml} from '../unit/fixture.js'
import {DEFAULT_MAC, domainXml, useProject, VIRSH, virsh, vm, type Project} from './helpers.js'

describe('vm global-status', () => {
  const current = useProject('box: debian-12\nmachines:\n  alpha: {}\n')

  /** alpha of this project runs; "other" belongs to another tool; web's project folder was deleted. */
  function scenario(project: Project, webSaved = false, webUid = process.getuid?.() ?? 0) {
    const alpha = domainName(project.dir, 'alpha')
    const gone = {...project, dir: '/nonexistent/gone-project'}
    const web = domainName(gone.dir, 'web')
    return [
      {argv: virsh('version'), stdout: 'Running hypervisor: QEMU 7.2.0\n'},
      {argv: virsh('list', '--all', '--name'), stdout: `${alpha}\nother\n${web}\n\n`},
      {argv: virsh('dumpxml', alpha), stdout: domainXml(project, 'alpha')},
      {argv: virsh('domstate', alpha), stdout: 'running\n\n'},
      {argv: virsh('net-dhcp-leases', 'default', '--mac', DEFAULT_MAC), stdout: VIRSH.leases([{mac: DEFAULT_MAC, ip: '192.168.122.45', hostname: 'alpha'}])},
      {argv: virsh('dumpxml', 'other'), stdout: "<domain type='kvm'><name>other</name><uuid>0b7e4d8c-2222-4333-8444-a55566677788</uuid></domain>\n"},
      {argv: virsh('dumpxml', web), stdout: ownedDomainXml({name: web, machine: 'web', projectDir: gone.dir, mac: DEFAULT_MAC, cpus: 2, uid: webUid})},
      {argv: virsh('domstate', web), stdout: 'shut off\n\n'},
      {argv: virsh('dominfo', web), stdout: `Id:             -\nName:           ${web}\nState:          shut off\nManaged save:   ${webSaved ? 'yes' : 'no'}\n\n`},
    ]
  }

  it("lists every machine vm made, across projects, from libvirt's metadata; other tools' domains are left out", async () => {
    const project = current()
    const result = await vm(project, ['global-status', '--json'], scenario(project))
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.deep.equal([
      {name: 'web', project: '/nonexistent/gone-project', state: 'shutoff', ip: null, domain: domainName('/nonexistent/gone-project', 'web'), projectExists: false, ownerUid: process.getuid?.()},
      {name: 'alpha', project: project.dir, state: 'running', ip: '192.168.122.45', domain: domainName(project.dir, 'alpha'), projectExists: true, ownerUid: process.getuid?.()},
    ].sort((a, b) => a.project.localeCompare(b.project)))
    expect(result.calls.every((c) => c.scripted)).to.equal(true)
  })

  it('prints a table that marks a project whose folder is gone', async () => {
    const project = current()
    const result = await vm(project, ['global-status'], scenario(project))
    expect(result.stdout).to.match(/^NAME +STATE +IP +PROJECT$/m)
    expect(result.stdout).to.match(/^alpha +running +192\.168\.122\.45 +\//m)
    expect(result.stdout).to.match(/^web +shutoff +- +\/nonexistent\/gone-project \(folder gone\)$/m)
  })

  it('shows a managed-saved machine as suspended, not as shut off', async () => {
    const project = current()
    const result = await vm(project, ['global-status'], scenario(project, true))
    expect(result.stdout).to.match(/^web +suspended +- +\/nonexistent\/gone-project \(folder gone\)$/m)
  })

  describe('--prune on a host other users share', () => {
    const pruneCalls = [
      {argv: virsh('vol-list', '--pool', 'vmfile'), stdout: ' Name   Path\n---------------\n\n'},
      {argv: virsh('net-list', '--all', '--name'), stdout: '\n'},
    ]

    it("leaves a gone folder's machine that another user made, and says who can remove it", async () => {
      const project = current()
      const result = await vm(project, ['global-status', '--prune', '--force'], [...scenario(project, false, 4242), ...pruneCalls])
      expect(result.exitCode, result.stderr).to.equal(0)
      expect(result.stderr).to.match(/Left 1 machine of deleted folders that other users made .*`sudo vm global-status --prune --all-users` removes them\./)
      expect(result.stderr).to.match(/Nothing to prune\./)
      expect(result.calls.some((c) => c.argv.includes('undefine') || c.argv.includes('destroy'))).to.equal(false)
    })

    it("removes the caller's own", async () => {
      const project = current()
      const web = domainName('/nonexistent/gone-project', 'web')
      const removal = [
        {argv: virsh('undefine', web, '--managed-save', '--snapshots-metadata'), stdout: ''},
        {argv: virsh('vol-info', '--bytes', '--pool', 'vmfile', `${web}.qcow2`), exitCode: 1, stderr: `error: failed to get vol '${web}.qcow2'\nerror: Storage volume not found: no storage vol with matching path\n`},
        {argv: virsh('vol-info', '--bytes', '--pool', 'vmfile', `${web}-seed.iso`), exitCode: 1, stderr: `error: failed to get vol '${web}-seed.iso'\nerror: Storage volume not found: no storage vol with matching path\n`},
      ]
      const result = await vm(project, ['global-status', '--prune', '--force'], [...scenario(project), ...pruneCalls, ...removal])
      expect(result.stdout, result.stderr).to.match(/^removed machine web of \/nonexistent\/gone-project /m)
    })
  })
})
