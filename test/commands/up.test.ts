import {mkdir, readdir, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {domainName} from '../../src/machine/names.js'
import {domainXml, ensureBuilt, makeProject, type Project, VIRSH, virsh, vm, writeProjectKey} from './helpers.js'

describe('vm up', () => {
  let project: Project

  before(async function () {
    this.timeout(180_000)
    await ensureBuilt()
  })

  afterEach(async () => {
    await project.cleanup()
  })

  it('against an unreachable libvirt: exit 1, the URI, virsh\'s words indented, and how to start libvirtd', async () => {
    project = await makeProject('box: debian-12\nmachines:\n  alpha: {}\n  beta: {}\n')
    const result = await vm(project, ['up'], [{argv: virsh('version'), stderr: VIRSH.noSocket, exitCode: 1}])
    expect(result.exitCode).to.equal(1)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.equal(
      [
        'Error: Cannot reach libvirt at qemu:///system: is libvirtd running?',
        '  error: failed to connect to the hypervisor',
        "  error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
        'Hint: Start it with `sudo systemctl start libvirtd` (on hosts without systemd: `sudo libvirtd -d`), then check with `virsh -c qemu:///system version`.',
        '',
      ].join('\n'),
    )
    // Nothing is created or even looked at before libvirt answers.
    expect(result.calls.map((c) => c.argv)).to.deep.equal([virsh('version')])
  })

  it('up and reload take --insecure (for boxes on plain http), parsed before libvirt is asked', async () => {
    project = await makeProject('box: debian-12\n')
    for (const command of ['up', 'reload']) {
      const result = await vm(project, [command, '--insecure'], [{argv: virsh('version'), stderr: VIRSH.noSocket, exitCode: 1}])
      // Past the flags: the next thing is libvirt, which the fakes do not answer.
      expect(result.exitCode, `${command}: ${result.stderr}`).to.equal(1)
      expect(result.stderr, command).to.not.match(/Nonexistent flag|--insecure/)
      expect(result.calls.length, command).to.be.greaterThan(0)
    }
  })

  it('honours VM_LIBVIRT_URI in every call and in the message', async () => {
    project = await makeProject('box: debian-12\n')
    const uri = 'qemu+unix:///system?socket=/nonexist'
    const argv = ['virsh', '-c', uri, 'version']
    const result = await vm(project, ['up'], [{argv, stderr: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/nonexist': No such file or directory\n", exitCode: 1}], {
      VM_LIBVIRT_URI: uri,
    })
    expect(result.exitCode).to.equal(1)
    expect(result.stderr.split('\n')[0]).to.equal(`Error: Cannot reach libvirt at ${uri}: is libvirtd running?`)
    expect(result.calls.map((c) => c.argv)).to.deep.equal([argv])
  })

  it('with a Vmfile that has errors: exit 2, every problem on stderr, and not one virsh call', async () => {
    project = await makeProject('box: debian-12\ncpus: lots\nmachines:\n  alpha:\n    memory: 2 gigs\n  Beta_1: {}\n')
    const result = await vm(project, ['up'])
    expect(result.exitCode).to.equal(2)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.equal(
      [
        'Error: Vmfile has 3 errors.',
        'Vmfile:2:7 cpus: expected a whole number from 1 to 256, found "lots"',
        'cpus: lots',
        '      ^^^^',
        'Vmfile:5:13 machines.alpha.memory: expected a size like 768MiB or 2GiB, found "2 gigs"',
        '    memory: 2 gigs',
        '            ^^^^^^',
        'Vmfile:6:3 machines.Beta_1: expected a machine name that works as a hostname (a-z, 0-9 and inner "-", at most 63), found "Beta_1"; did you mean beta-1?',
        '  Beta_1: {}',
        '  ^^^^^^',
        '',
      ].join('\n'),
    )
    expect(result.calls).to.deep.equal([])
  })

  it('an unknown machine: exit 2 listing the machines, and not one virsh call', async () => {
    project = await makeProject('box: debian-12\nmachines:\n  alpha: {}\n  beta: {}\n')
    const result = await vm(project, ['up', 'alpha', 'gamma'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal(`Error: No machine named "gamma" in ${project.dir}/Vmfile.\nHint: Machines here: alpha, beta.\n`)
    expect(result.calls).to.deep.equal([])
  })

  it('without a Vmfile: exit 1 pointing at vm init', async () => {
    project = await makeProject()
    const result = await vm(project, ['up'])
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal(`Error: No Vmfile in ${project.dir} or any folder above it.\nHint: Run \`vm init\` to write one here.\n`)
    expect(result.calls).to.deep.equal([])
  })

  it('a repository that committed .vm/ with a key: exit 2 before libvirt is asked anything, naming the fix', async () => {
    project = await makeProject('box: debian-12\n')
    await mkdir(join(project.dir, '.vm'))
    await writeFile(join(project.dir, '.vm/id_ed25519'), 'the repository author has this key\n', {mode: 0o600})
    const result = await vm(project, ['up'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.contain(`Error: vm did not make the key ${project.dir}/.vm/id_ed25519`)
    expect(result.stderr).to.contain(`rm -r ${project.dir}/.vm`)
    expect(result.calls).to.deep.equal([])
  })

  it('a .vm that is a symlink out of the project: exit 2, and nothing is written where it points', async () => {
    project = await makeProject('box: debian-12\n')
    const elsewhere = join(project.root, 'elsewhere')
    await mkdir(elsewhere)
    await symlink(elsewhere, join(project.dir, '.vm'))
    const result = await vm(project, ['up'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.contain(`Error: vm will not use ${project.dir}/.vm: it is a symlink.`)
    expect(await readdir(elsewhere)).to.deep.equal([])
    expect(result.calls).to.deep.equal([])
  })

  it('refuses to start a machine in a state it cannot start from, and says how to get out of it', async () => {
    project = await makeProject('box: debian-12\n')
    // The machine exists, so its project key does too.
    await writeProjectKey(project)
    const domain = domainName(project.dir, 'default')
    const result = await vm(project, ['up'], [
      {argv: virsh('version'), stdout: 'Compiled against library: libvirt 9.0.0\n'},
      {argv: virsh('domstate', domain), stdout: 'in shutdown\n\n'},
      {argv: virsh('dumpxml', domain), stdout: domainXml(project, 'default')},
      {argv: virsh('net-info', 'default'), stdout: 'Name:           default\nActive:         yes\n'},
    ])
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal(
      [
        'Error: default is in shutdown; vm can start it only from shut off or paused.',
        'Hint: Wait for it to settle, or power it off with `vm halt --force default`, then run `vm up default`.',
        '',
      ].join('\n'),
    )
  })
})
