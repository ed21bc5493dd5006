import {spawnSync} from 'node:child_process'
import {mkdir, readFile, stat, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'
import {parse} from 'yaml'

import {ExecaRunner} from '../../../src/exec/runner.js'
import type {VmError} from '../../../src/errors.js'
import {projectPaths} from '../../../src/machine/paths.js'
import {AnsibleNotInstalledError, ansiblePlaybookArgs, inventoryPath, renderInventory, runAnsibleProvisioner, type AnsibleProvisioner} from '../../../src/provision/ansible.js'
import {captureOutput, contextOf, FakeRunner, rejection, TARGET, tempDir} from './helpers.js'

const INVENTORY = `all:
  hosts:
    web:
      ansible_host: 192.168.122.45
      ansible_port: 22
      ansible_user: vm
      ansible_ssh_private_key_file: /home/ana/shop/.vm/id_ed25519
      ansible_ssh_common_args: -o IdentitiesOnly=yes -o UserKnownHostsFile=/home/ana/shop/.vm/known_hosts -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=shop-web-1a2b3c4d -o StrictHostKeyChecking=yes -o UpdateHostKeys=no -o ForwardAgent=no -o ForwardX11=no -o ClearAllForwardings=yes
`

const HAS_ANSIBLE = spawnSync('ansible-playbook', ['--version']).status === 0

/** How ansible's ssh connection splits ansible_ssh_common_args (shlex, POSIX mode). */
function shlexSplit(text: string): string[] {
  const result = spawnSync('python3', ['-c', 'import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))', text])
  expect(result.status, result.stderr.toString()).to.equal(0)
  return JSON.parse(result.stdout.toString()) as string[]
}

function ansible(playbook: string, extraVars: Record<string, unknown> = {}): AnsibleProvisioner {
  return {kind: 'ansible', label: 'ansible #1 (site.yml)', playbook, extraVars}
}

describe('provision/ansible', () => {
  describe('renderInventory', () => {
    it('names one host after the machine, with its address, user, key and the pinned host key options', () => {
      expect(renderInventory('web', TARGET)).to.equal(INVENTORY)
    })

    it('quotes the ssh options so ansible splits them back exactly, %-escaped for ssh', () => {
      const odd = {...TARGET, knownHostsFile: "/home/ana/my shop 100%/it's/.vm/known_hosts", hostKeyAlias: 'a b'}
      const host = (parse(renderInventory('web', odd)) as {all: {hosts: {web: Record<string, unknown>}}}).all.hosts.web
      expect(shlexSplit(host.ansible_ssh_common_args as string)).to.deep.equal([
        '-o', 'IdentitiesOnly=yes',
        '-o', "UserKnownHostsFile=/home/ana/my shop 100%%/it's/.vm/known_hosts",
        '-o', 'GlobalKnownHostsFile=/dev/null',
        '-o', 'HostKeyAlias=a b',
        '-o', 'StrictHostKeyChecking=yes',
        '-o', 'UpdateHostKeys=no',
        '-o', 'ForwardAgent=no',
        '-o', 'ForwardX11=no',
        '-o', 'ClearAllForwardings=yes',
      ])
    })

    it('never turns host-key checking off', () => {
      expect(renderInventory('web', TARGET)).to.not.match(/StrictHostKeyChecking=(no|accept-new)|host_key_checking/i)
    })
  })

  describe('ansiblePlaybookArgs', () => {
    it('runs ansible-playbook in the playbook\'s folder with a UTF-8 locale', () => {
      expect(ansiblePlaybookArgs('/p/.vm/ansible/inventory-web.yml', '/p/ansible/site.yml', {})).to.deep.equal([
        '-C', '/p/ansible', 'LC_ALL=C.UTF-8', 'ansible-playbook', '-i', '/p/.vm/ansible/inventory-web.yml', '/p/ansible/site.yml',
      ])
    })

    it('passes extra vars as one JSON word', () => {
      const args = ansiblePlaybookArgs('/i.yml', '/site.yml', {port: 8080, name: "it's", list: [1, 2]})
      expect(args.slice(-3)).to.deep.equal(['--extra-vars', '{"port":8080,"name":"it\'s","list":[1,2]}', '/site.yml'])
    })
  })

  describe('runAnsibleProvisioner, scripted', () => {
    it('writes a private inventory under .vm/ansible and streams ansible\'s lines', async () => {
      const {dir, remove} = await tempDir('vm-ansible-')
      try {
        const out = captureOutput()
        const runner = new FakeRunner([{stdout: ['PLAY [all]', 'ok: [web]'], stderr: ['[WARNING]: something']}])
        const status = await runAnsibleProvisioner(contextOf(runner, out, dir), ansible('/p/site.yml', {a: 1}))
        expect(status).to.equal(0)
        const inventory = join(dir, '.vm', 'ansible', 'inventory-web.yml')
        expect(inventoryPath(projectPaths(dir), 'web')).to.equal(inventory)
        expect(await readFile(inventory, 'utf8')).to.equal(INVENTORY)
        expect((await stat(inventory)).mode & 0o777).to.equal(0o600)
        expect((await stat(join(dir, '.vm', 'ansible'))).mode & 0o777).to.equal(0o700)
        expect(runner.calls.map((c) => [c.file, ...c.args])).to.deep.equal([['env', ...ansiblePlaybookArgs(inventory, '/p/site.yml', {a: 1})]])
        expect(out.lines).to.deep.equal(['info: PLAY [all]', 'info: ok: [web]', 'warn: [WARNING]: something'])
      } finally {
        await remove()
      }
    })

    it('returns ansible\'s failure status', async () => {
      const {dir, remove} = await tempDir('vm-ansible-')
      try {
        const runner = new FakeRunner([{stdout: ['fatal: [web]: FAILED!'], exitCode: 2}])
        expect(await runAnsibleProvisioner(contextOf(runner, captureOutput(), dir), ansible('/p/site.yml'))).to.equal(2)
      } finally {
        await remove()
      }
    })

    it('says ansible-playbook is needed when env cannot find it, instead of env\'s own line', async () => {
      const {dir, remove} = await tempDir('vm-ansible-')
      try {
        const out = captureOutput()
        const runner = new FakeRunner([{stderr: ["env: 'ansible-playbook': No such file or directory"], exitCode: 127}])
        const error = await rejection(runAnsibleProvisioner(contextOf(runner, out, dir), ansible('/p/site.yml')))
        expect(error).to.be.instanceOf(AnsibleNotInstalledError)
        expect((error as VmError).code).to.equal('ANSIBLE_NOT_INSTALLED')
        expect(error.message).to.equal('web: provisioner ansible #1 (site.yml): ansible-playbook is needed on the host for this provisioner, and it is not installed (or not on PATH).')
        expect((error as VmError).hint).to.contain('sudo apt-get install ansible-core').and.contain('pipx install ansible-core')
        expect(out.lines).to.deep.equal([])
      } finally {
        await remove()
      }
    })

    it('takes a status 127 without env\'s message for ansible\'s own', async () => {
      const {dir, remove} = await tempDir('vm-ansible-')
      try {
        const runner = new FakeRunner([{stderr: ['something else'], exitCode: 127}])
        expect(await runAnsibleProvisioner(contextOf(runner, captureOutput(), dir), ansible('/p/site.yml'))).to.equal(127)
      } finally {
        await remove()
      }
    })
  })

  describe('with the real ansible-playbook (no machine is contacted)', function () {
    this.timeout(60_000)
    let dir: string
    let remove: () => Promise<void>

    beforeEach(async function () {
      if (!HAS_ANSIBLE) this.skip()
      ;({dir, remove} = await tempDir('vm-ansible-'))
    })
    afterEach(() => remove?.())

    async function inventoryFor(machine: string): Promise<string> {
      const path = inventoryPath(projectPaths(dir), machine)
      await mkdir(join(dir, '.vm', 'ansible'), {recursive: true})
      await writeFile(path, renderInventory(machine, TARGET))
      return path
    }

    it('reads the inventory: the host, its variables, a machine named "no" stays a name', async () => {
      for (const machine of ['web', 'no']) {
        const result = spawnSync('ansible-inventory', ['-i', await inventoryFor(machine), '--list'], {env: {...process.env, LC_ALL: 'C.UTF-8'}})
        expect(result.status, result.stderr.toString()).to.equal(0)
        const listed = JSON.parse(result.stdout.toString()) as {_meta: {hostvars: Record<string, Record<string, unknown>>}}
        expect(listed._meta.hostvars[machine]).to.deep.include({ansible_host: '192.168.122.45', ansible_port: 22, ansible_user: 'vm'})
      }
    })

    it('accepts the playbook command as built, through the runner (which sets LC_ALL=C)', async () => {
      const playbook = join(dir, 'site.yml')
      await writeFile(playbook, '- hosts: all\n  tasks:\n    - ansible.builtin.ping:\n')
      const runner = new ExecaRunner()
      const args = ansiblePlaybookArgs(await inventoryFor('web'), playbook, {x: 1})
      expect((await runner.run('env', [...args, '--syntax-check'])).exitCode).to.equal(0)
      const {stdout} = await runner.run('env', [...args, '--list-hosts'])
      expect(stdout).to.match(/hosts \(1\):\s+web\b/)
    })

    it('runs in the playbook\'s folder with the extra vars, streaming lines (a local-only play)', async () => {
      const folder = join(dir, 'ansible dir')
      await mkdir(folder)
      const playbook = join(folder, 'site.yml')
      await writeFile(
        playbook,
        `- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "greeting={{ greeting }} cwd={{ lookup('ansible.builtin.pipe', 'pwd') }}"
`,
      )
      const out = captureOutput()
      const status = await runAnsibleProvisioner(contextOf(new ExecaRunner(), out, dir), ansible(playbook, {greeting: "it's $(x)"}))
      expect(status, out.lines.join('\n')).to.equal(0)
      expect(out.lines).to.include(`info:     "msg": "greeting=it's $(x) cwd=${folder}"`)
    })

    it('a real missing ansible-playbook gives ANSIBLE_NOT_INSTALLED', async () => {
      // PATH holds env and nothing else, so env is found and ansible-playbook is not.
      const bin = join(dir, 'bin')
      await mkdir(bin)
      await symlink(spawnSync('sh', ['-c', 'command -v env']).stdout.toString().trim(), join(bin, 'env'))
      const saved = process.env.PATH
      process.env.PATH = bin
      try {
        const out = captureOutput()
        const error = await rejection(runAnsibleProvisioner(contextOf(new ExecaRunner(), out, dir), ansible(join(dir, 'site.yml'))))
        expect((error as VmError).code).to.equal('ANSIBLE_NOT_INSTALLED')
        expect(out.lines).to.deep.equal([])
      } finally {
        process.env.PATH = saved
      }
    })
  })
})
