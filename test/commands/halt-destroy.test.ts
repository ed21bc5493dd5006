import {expect} from 'chai'

import {domainName} from '../../src/machine/names.js'
import {domainXml, useProject, type Project, VIRSH, virsh, vm} from './helpers.js'

const VMFILE = 'box: debian-12\nmachines:\n  alpha: {}\n  beta: {}\n'

const missingVolume = (name: string) =>
  `error: failed to get vol '${name}'\nerror: Storage volume not found: no storage vol with matching path '${name}'\n`

describe('vm halt and vm destroy', () => {
  const current = useProject(VMFILE)
  let project: Project
  beforeEach(() => {
    project = current()
  })

  it('vm halt of a machine that is not created says so and succeeds', async () => {
    const alpha = domainName(project.dir, 'alpha')
    const result = await vm(project, ['halt', 'alpha'], [{argv: virsh('domstate', alpha), stderr: VIRSH.missingDomain(alpha), exitCode: 1}])
    expect(result.stderr).to.equal('')
    expect(result.stdout).to.equal('alpha: not created; nothing to halt.\n')
    expect(result.exitCode).to.equal(0)
    expect(result.calls.map((c) => c.argv)).to.deep.equal([virsh('domstate', alpha)])
  })

  it('vm halt of a machine that is shut off checks it is ours and touches nothing', async () => {
    const beta = domainName(project.dir, 'beta')
    const calls = [
      {argv: virsh('domstate', beta), stdout: 'shut off\n\n'},
      {argv: virsh('dumpxml', beta), stdout: domainXml(project, 'beta')},
      {argv: virsh('dominfo', beta), stdout: 'State:          shut off\nManaged save:   no\n\n'},
    ]
    const result = await vm(project, ['halt', 'beta'], calls)
    expect(result.stderr).to.equal('')
    expect(result.stdout).to.equal('beta: already halted.\n')
    expect(result.exitCode).to.equal(0)
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })

  it('vm halt never touches a domain with our name that vm did not make for this project (exit 1)', async () => {
    const beta = domainName(project.dir, 'beta')
    const foreign = `<domain type='qemu'>\n  <name>${beta}</name>\n  <uuid>3f5ade39-403e-4614-b389-531ef039c4af</uuid>\n</domain>\n`
    const calls = [
      {argv: virsh('domstate', beta), stdout: 'running\n\n'},
      {argv: virsh('dumpxml', beta), stdout: foreign},
    ]
    const result = await vm(project, ['halt', 'beta'], calls)
    expect(result.exitCode).to.equal(1)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.equal(
      `Error: libvirt domain ${beta} exists but was not created by vm for this project.\n` +
        `Hint: Rename the project folder, or remove that domain yourself if it is stale: \`virsh -c qemu:///system undefine ${beta}\`.\n`,
    )
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })

  it('vm halt of an unknown machine: exit 2 listing the machines', async () => {
    const result = await vm(project, ['halt', 'gamma'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal(`Error: No machine named "gamma" in ${project.dir}/Vmfile.\nHint: Machines here: alpha, beta.\n`)
    expect(result.calls).to.deep.equal([])
  })

  it('vm destroy without -f when stdin is not a terminal: exit 2 with the -f command, nothing touched', async () => {
    const result = await vm(project, ['destroy'])
    expect(result.exitCode).to.equal(2)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.equal(
      'Error: Refusing to destroy without confirmation when not run from a terminal.\nHint: Run `vm destroy -f alpha beta`.\n',
    )
    expect(result.calls).to.deep.equal([])
  })

  it('vm destroy -f of a machine that is not created looks for its volumes and removes nothing', async () => {
    const alpha = domainName(project.dir, 'alpha')
    const calls = [
      {argv: virsh('domstate', alpha), stderr: VIRSH.missingDomain(alpha), exitCode: 1},
      {argv: virsh('vol-info', '--bytes', '--pool', 'vmfile', `${alpha}.qcow2`), stderr: missingVolume(`${alpha}.qcow2`), exitCode: 1},
      {argv: virsh('vol-info', '--bytes', '--pool', 'vmfile', `${alpha}-seed.iso`), stderr: missingVolume(`${alpha}-seed.iso`), exitCode: 1},
    ]
    const result = await vm(project, ['destroy', '-f', 'alpha'], calls)
    expect(result.stderr).to.equal('')
    expect(result.stdout).to.equal('alpha: not created; nothing to destroy.\n')
    expect(result.exitCode).to.equal(0)
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })
})
