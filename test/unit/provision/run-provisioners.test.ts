import {mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {InterruptedError, renderError, type VmError} from '../../../src/errors.js'
import {CommandFailedError, ToolNotInstalledError} from '../../../src/exec/runner.js'
import {Grant} from '../../../src/consent/grant.js'
import {projectPaths} from '../../../src/machine/paths.js'
import {AnsibleNotInstalledError} from '../../../src/provision/ansible.js'
import {ProvisionFailedError} from '../../../src/provision/errors.js'
import {runProvisioners, type RunProvisionersOptions} from '../../../src/provision/run-provisioners.js'
import {machineOutput} from '../../../src/ui/output.js'
import type {Provisioner} from '../../../src/vmfile/types.js'
import {captureOutput, FakeRunner, rejection, TARGET, type CapturedOutput, type Script} from './helpers.js'

function shell(n: number, name = 'inline'): Provisioner {
  return {kind: 'shell', label: `shell #${n} (${name})`, inline: `echo ${n}`, privileged: true, env: {}, args: []}
}

describe('provision/run-provisioners', () => {
  let dir: string
  let out: CapturedOutput

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vm-provision-'))
    out = captureOutput()
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  function options(runner: FakeRunner, provisioners: Provisioner[], extra: Partial<RunProvisionersOptions> = {}): RunProvisionersOptions {
    return {runner, target: TARGET, machine: 'web', provisioners, projectPaths: projectPaths(dir), grant: new Grant(dir), out: machineOutput(out, 'web'), ...extra}
  }

  /** Output lines with elapsed times blanked. */
  function lines(): string[] {
    return out.lines.map((line) => line.replace(/\(\d+\.\d s\)$/, '(T)'))
  }

  it('runs every kind in order, announcing each and its elapsed time, passing its lines through', async () => {
    await writeFile(join(dir, 'conf.yml'), 'a: 1\n')
    const provisioners: Provisioner[] = [
      shell(1),
      {kind: 'file', label: 'file #2 (conf.yml)', source: join(dir, 'conf.yml'), destination: '/etc/app/conf.yml'},
      {kind: 'ansible', label: 'ansible #3 (site.yml)', playbook: join(dir, 'site.yml'), extraVars: {}},
    ]
    const scripts: Script[] = [{stdout: ['1'], stderr: ['careful']}, {}, {}, {stdout: ['PLAY RECAP']}]
    const runner = new FakeRunner(scripts)
    const grant = new Grant(dir)
    grant.allow([{kind: 'ansible', machines: ['web'], text: 'ansible'}])
    await runProvisioners(options(runner, provisioners, {grant}))
    expect(runner.calls.map((call) => call.file)).to.deep.equal(['ssh', 'tar', 'ssh', 'env'])
    expect(lines()).to.deep.equal([
      'info: web: provisioning with shell #1 (inline)',
      'info: web: 1',
      'warn: web: careful',
      'info: web: shell #1 (inline) done (T)',
      'info: web: provisioning with file #2 (conf.yml)',
      'info: web: file #2 (conf.yml) done (T)',
      'info: web: provisioning with ansible #3 (site.yml)',
      'info: web: PLAY RECAP',
      'info: web: ansible #3 (site.yml) done (T)',
    ])
  })

  describe('host paths, resolved just before each provisioner runs', () => {
    let outside: string
    beforeEach(async () => {
      outside = await mkdtemp(join(tmpdir(), 'vm-provision-outside-'))
      await writeFile(join(outside, 'id_ed25519'), 'PRIVATE KEY\n')
    })
    afterEach(() => rm(outside, {recursive: true, force: true}))

    const file = (source: string): Provisioner => ({kind: 'file', label: 'file #1 (innocent.conf)', source, destination: '/etc/app.conf'})

    it('refuses a file source that is a symlink out of the project, and copies nothing', async () => {
      await symlink(join(outside, 'id_ed25519'), join(dir, 'innocent.conf'))
      const runner = new FakeRunner([])
      const error = (await rejection(runProvisioners(options(runner, [file(join(dir, 'innocent.conf'))])))) as VmError
      expect(error.code).to.equal('HOST_PATH_NOT_ALLOWED')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.equal(`The file provisioner source ${join(dir, 'innocent.conf')}, which leads to ${join(outside, 'id_ed25519')}, is outside the project, and you have not allowed it.`)
      expect(runner.calls).to.deep.equal([])
    })

    it("refuses a source in the project's .vm/ (its private key)", async () => {
      await mkdir(join(dir, '.vm'))
      await writeFile(join(dir, '.vm', 'id_ed25519'), 'KEY\n')
      const error = (await rejection(runProvisioners(options(new FakeRunner([]), [file(join(dir, '.vm', 'id_ed25519'))])))) as VmError
      expect(error.code).to.equal('HOST_PATH_NOT_ALLOWED')
    })

    it('copies from where an allowed path really leads', async () => {
      await symlink(join(outside, 'id_ed25519'), join(dir, 'innocent.conf'))
      const grant = new Grant(dir)
      grant.allow([{kind: 'host-path', machines: ['web'], text: 'x', realPath: join(outside, 'id_ed25519')}])
      const runner = new FakeRunner([{}, {}])
      await runProvisioners(options(runner, [file(join(dir, 'innocent.conf'))], {grant}))
      expect(runner.calls[0]!.args).to.include(outside)
    })

    it('refuses ansible unless the user allowed it, before running anything', async () => {
      const runner = new FakeRunner([])
      const error = (await rejection(runProvisioners(options(runner, [{kind: 'ansible', label: 'ansible #1 (site.yml)', playbook: join(dir, 'site.yml'), extraVars: {}}])))) as VmError
      expect(error.code).to.equal('ANSIBLE_NOT_ALLOWED')
      expect(runner.calls).to.deep.equal([])
    })
  })

  it('does nothing for an empty list', async () => {
    await runProvisioners(options(new FakeRunner([]), []))
    expect(out.lines).to.deep.equal([])
  })

  it('stops at the first failure and names the machine, the provisioner and its status', async () => {
    const runner = new FakeRunner([{}, {stderr: ['setup failed'], exitCode: 3}])
    const error = await rejection(runProvisioners(options(runner, [shell(1), shell(2, 'setup.sh'), shell(3)])))
    expect(error).to.be.instanceOf(ProvisionFailedError)
    expect(error.message).to.equal('web: provisioner shell #2 (setup.sh) exited with status 3')
    const failed = error as ProvisionFailedError
    expect(failed.code).to.equal('PROVISION_FAILED')
    expect([failed.machine, failed.label, failed.status]).to.deep.equal(['web', 'shell #2 (setup.sh)', 3])
    expect(failed.hint).to.equal('The machine is kept as it is. Fix the provisioner, then run `vm provision web` to run its provisioners again.')
    expect(runner.calls).to.have.length(2)
    expect(lines()).to.deep.equal([
      'info: web: provisioning with shell #1 (inline)',
      'info: web: shell #1 (inline) done (T)',
      'info: web: provisioning with shell #2 (setup.sh)',
      'warn: web: setup failed',
    ])
  })

  it('notes that 255 may be ssh failing to connect', async () => {
    const error = (await rejection(runProvisioners(options(new FakeRunner([{exitCode: 255}]), [shell(1)])))) as VmError
    expect(renderError(error)).to.equal(
      [
        'Error: web: provisioner shell #1 (inline) exited with status 255',
        '  (255 is also the status ssh exits with when it cannot reach the machine.)',
        'Hint: The machine is kept as it is. Fix the provisioner, then run `vm provision web` to run its provisioners again.',
      ].join('\n'),
    )
  })

  it('wraps a failure around the provisioner (host tar) with the machine and label, keeping its detail', async () => {
    await writeFile(join(dir, 'conf.yml'), 'a: 1\n')
    const tarFailure = new CommandFailedError(['tar', '--create'], {stdout: '', stderr: 'tar: conf.yml: file changed as we read it', exitCode: 1})
    const runner = new FakeRunner([{throws: tarFailure}, {}])
    const file: Provisioner = {kind: 'file', label: 'file #1 (conf.yml)', source: join(dir, 'conf.yml'), destination: '/etc/conf.yml'}
    const error = (await rejection(runProvisioners(options(runner, [file, shell(2)])))) as ProvisionFailedError
    expect(error).to.be.instanceOf(ProvisionFailedError)
    expect(error.message).to.equal('web: provisioner file #1 (conf.yml) failed: Command failed with exit status 1: tar --create')
    expect(error.status).to.equal(undefined)
    expect(error.detail).to.equal('  tar: conf.yml: file changed as we read it')
    expect(error.cause).to.equal(tarFailure)
    expect(runner.calls).to.have.length(1)
  })

  it('keeps the install hint of a missing host tool', async () => {
    await writeFile(join(dir, 'conf.yml'), 'a: 1\n')
    const runner = new FakeRunner([{throws: new ToolNotInstalledError('ssh')}])
    const error = (await rejection(runProvisioners(options(runner, [shell(1)])))) as ProvisionFailedError
    expect(error.message).to.equal('web: provisioner shell #1 (inline) failed: ssh is not installed (or not on PATH).')
    expect(error.hint).to.equal('sudo apt-get install openssh-client')
  })

  it('passes an error that already names its provisioner through unchanged', async () => {
    const runner = new FakeRunner([{stderr: ["env: 'ansible-playbook': No such file or directory"], exitCode: 127}])
    const ansible: Provisioner = {kind: 'ansible', label: 'ansible #1 (site.yml)', playbook: join(dir, 'site.yml'), extraVars: {}}
    const grant = new Grant(dir)
    grant.allow([{kind: 'ansible', machines: ['web'], text: 'ansible'}])
    const error = await rejection(runProvisioners(options(runner, [ansible, shell(2)], {grant})))
    expect(error).to.be.instanceOf(AnsibleNotInstalledError)
    expect((error as VmError).code).to.equal('ANSIBLE_NOT_INSTALLED')
    expect(runner.calls).to.have.length(1)
  })

  it('passes an interrupt through, and starts nothing once interrupted', async () => {
    const interrupted = new InterruptedError()
    expect(await rejection(runProvisioners(options(new FakeRunner([{throws: interrupted}]), [shell(1), shell(2)])))).to.equal(interrupted)

    out = captureOutput()
    const controller = new AbortController()
    controller.abort(new InterruptedError())
    const runner = new FakeRunner([])
    const error = await rejection(runProvisioners(options(runner, [shell(1)], {signal: controller.signal})))
    expect(error).to.be.instanceOf(InterruptedError)
    expect(runner.calls).to.deep.equal([])
    expect(out.lines).to.deep.equal([])
  })

  it('passes the signal to the commands it runs', async () => {
    const controller = new AbortController()
    const runner = new FakeRunner([{}])
    await runProvisioners(options(runner, [shell(1)], {signal: controller.signal}))
    expect(runner.calls[0]!.options.signal).to.equal(controller.signal)
  })
})
