import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {domainName} from '../../src/machine/names.js'
import {domainXml, useProject, type Project, VIRSH, virsh, vm, writeProjectKey} from './helpers.js'

const VMFILE = 'box: debian-12\nmachines:\n  alpha: {}\n  beta: {}\n'
const MAC = '52:54:00:aa:00:02'
const IP = '192.168.122.46'

describe('vm ssh', () => {
  const current = useProject(VMFILE)
  let project: Project
  beforeEach(async () => {
    project = current()
    await writeProjectKey(project)
  })

  /** The exact ssh command line for beta: pinned host key under the domain's name, never a shell. */
  function sshArgv(...command: string[]): string[] {
    return sshArgvForwarding({}, ...command)
  }

  function sshArgvForwarding(forwarding: {agent?: boolean; x11?: boolean}, ...command: string[]): string[] {
    const vmDir = `${project.dir}/.vm`
    return [
      'ssh',
      '-o', 'User=vm',
      '-o', 'Port=22',
      '-o', `IdentityFile=${vmDir}/id_ed25519`,
      '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${vmDir}/known_hosts`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', `HostKeyAlias=${domainName(project.dir, 'beta')}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'UpdateHostKeys=no',
      '-o', 'PasswordAuthentication=no',
      '-o', 'LogLevel=ERROR',
      '-o', `ForwardAgent=${forwarding.agent ? 'yes' : 'no'}`,
      '-o', `ForwardX11=${forwarding.x11 ? 'yes' : 'no'}`,
      '-o', 'ClearAllForwardings=yes',
      '-T',
      '--', IP,
      ...command,
    ]
  }

  function betaRunning() {
    const beta = domainName(project.dir, 'beta')
    return [
      {argv: virsh('domstate', beta), stdout: 'running\n\n'},
      {argv: virsh('dumpxml', beta), stdout: domainXml(project, 'beta', MAC)},
      {argv: virsh('net-dhcp-leases', 'default', '--mac', MAC), stdout: VIRSH.leases([{mac: MAC, ip: IP, hostname: 'beta'}])},
    ]
  }

  it('with two machines and none named: exit 2, "say which one", and no call to libvirt', async () => {
    const result = await vm(project, ['ssh'])
    expect(result.exitCode).to.equal(2)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.equal('Error: This project has 2 machines; say which one.\nHint: One of: alpha, beta.\n')
    expect(result.calls).to.deep.equal([])
  })

  it('runs the command after -- through ssh and passes its exit status (3) and output through', async () => {
    const calls = [...betaRunning(), {argv: sshArgv('exit', '3'), stdout: 'from the guest\n', stderr: 'guest stderr\n', exitCode: 3}]
    const result = await vm(project, ['ssh', 'beta', '--', 'exit', '3'], calls)
    expect(result.exitCode).to.equal(3)
    expect(result.stdout).to.equal('from the guest\n')
    expect(result.stderr).to.equal('guest stderr\n')
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })

  it('hands over the agent only with -A and X11 only with -X, for that login alone', async () => {
    for (const [flags, forwarding] of [[['-A'], {agent: true}], [['-X'], {x11: true}], [['--forward-agent', '--forward-x11'], {agent: true, x11: true}]] as const) {
      const calls = [...betaRunning(), {argv: sshArgvForwarding(forwarding, 'true'), exitCode: 0}]
      const result = await vm(project, ['ssh', ...flags, 'beta', '--', 'true'], calls)
      expect(result.stderr).to.equal('')
      expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
    }
  })

  it('does not take a command word after -- for a machine name', async () => {
    const calls = [...betaRunning(), {argv: sshArgv('alpha', '--version'), exitCode: 0}]
    const result = await vm(project, ['ssh', 'beta', '--', 'alpha', '--version'], calls)
    expect(result.stderr).to.equal('')
    expect(result.exitCode).to.equal(0)
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })

  it('says the project key is gone (.vm/ deleted) at once, instead of letting ssh fail', async () => {
    await rm(join(project.dir, '.vm'), {recursive: true})
    const result = await vm(project, ['ssh', 'beta', '--', 'true'], betaRunning())
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal(
      `Error: The project's key ${project.dir}/.vm/id_ed25519 is gone (was .vm/ deleted?), so vm cannot log in to beta.\n` +
        'Hint: The machines are still there (`vm status`). `vm destroy -f beta` then `vm up` makes them again with a new key; their disks are lost.\n',
    )
    expect(result.calls.map((c) => c.argv[0])).to.deep.equal(['virsh', 'virsh', 'virsh'])
  })

  it('refuses a machine that is not created, with the command that makes it (exit 1)', async () => {
    const beta = domainName(project.dir, 'beta')
    const result = await vm(project, ['ssh', 'beta'], [{argv: virsh('domstate', beta), stderr: VIRSH.missingDomain(beta), exitCode: 1}])
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal('Error: beta is not created.\nHint: Run `vm up beta`.\n')
    expect(result.calls.map((c) => c.argv)).to.deep.equal([virsh('domstate', beta)])
  })

  it('an unknown machine: exit 2 listing the machines, no call to libvirt', async () => {
    const result = await vm(project, ['ssh', 'gamma'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal(`Error: No machine named "gamma" in ${project.dir}/Vmfile.\nHint: Machines here: alpha, beta.\n`)
    expect(result.calls).to.deep.equal([])
  })

  it('two machine names before --: exit 2 saying where the command goes', async () => {
    const result = await vm(project, ['ssh', 'alpha', 'beta'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal('Error: Too many arguments: alpha beta.\nHint: Put the command after --: `vm ssh MACHINE -- COMMAND...`.\n')
    expect(result.calls).to.deep.equal([])
  })
})
