import {chmod, chown, mkdir, readFile, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'

import {expect} from 'chai'
import {execa, type ResultPromise} from 'execa'

import {projectHash} from '../../src/machine/names.js'
import {ROOT, domainsNamed, note, removeDebrisOfEarlierRuns, serveImage, tempDir, testImage, virsh, vm, volumesNamed, type ImageServer} from './helpers.js'

/**
 * Issue 4's development environment on real libvirt and QEMU (TCG): the example Vmfile's shapes
 * (user cloud-init, an rsync folder and a live virtiofs one, a forwarded port, every kind of
 * provisioner, a private network with a static and a DHCP machine), then the rules users rely
 * on: provisioners run once, forwards survive halt/up and reboots and end with destroy, names
 * resolve between machines, a user cloud-config cannot lock vm out.
 */
describe('a development environment on real libvirt', function () {
  const HTTP_PORT = 18080
  let server: ImageServer
  let home: string
  let projectDir: string
  let project: string
  const run = (args: string[], env?: Record<string, string>) => vm(args, {cwd: projectDir, home, env})
  const ssh = async (machine: string, command: string) => {
    const result = await run(['ssh', machine, '--', command])
    expect(result.exitCode, `${command}: ${result.stderr}`).to.equal(0)
    return result.stdout.trim()
  }

  /** A libvirt network of the user's own (`network:`) and a host bridge with a LAN's DHCP (`bridge:`), both inside the test namespace. */
  const LAB_NETWORK = 'vmtest-lab'
  const BRIDGE = 'vmtest-br0'
  let lanDhcp: ResultPromise | undefined

  before(async function () {
    await execa('ip', ['link', 'del', BRIDGE], {reject: false})
    await virsh('net-destroy', LAB_NETWORK).catch(() => undefined)
    const labXml = join(await tempDir('vm-e2e-net-'), 'lab.xml')
    await writeFile(
      labXml,
      `<network><name>${LAB_NETWORK}</name><bridge name='vmtest-lab0'/><ip address='10.98.0.1' netmask='255.255.255.0'><dhcp><range start='10.98.0.100' end='10.98.0.200'/></dhcp></ip></network>`,
    )
    await virsh('net-create', labXml)
    await execa('ip', ['link', 'add', BRIDGE, 'type', 'bridge'])
    await execa('ip', ['addr', 'add', '10.99.0.1/24', 'dev', BRIDGE])
    await execa('ip', ['link', 'set', BRIDGE, 'up'])
    lanDhcp = execa('dnsmasq', ['--keep-in-foreground', '--conf-file=/dev/null', `--interface=${BRIDGE}`, '--bind-interfaces', '--port=0', '--dhcp-range=10.99.0.100,10.99.0.150,1h', '--leasefile-ro', '--pid-file='], {reject: false})
    server = await serveImage(testImage())
    const root = await tempDir('vm-e2e-env-')
    home = join(root, 'home')
    projectDir = join(root, 'lab')
    await mkdir(join(projectDir, 'site'), {recursive: true})
    await mkdir(join(projectDir, 'live'))
    project = projectHash(projectDir)
    await removeDebrisOfEarlierRuns()
    await writeFile(join(projectDir, 'site/index.html'), 'served from the rsync folder\n')
    await writeFile(join(projectDir, 'site/old.txt'), 'removed later\n')
    await writeFile(join(projectDir, 'app.conf'), 'listen 80;\n')
    await writeFile(join(projectDir, 'setup.sh'), '#!/bin/sh\necho "$APP_ENV as $(id -un) with $1" > "$HOME/setup.out"\n')
    await chmod(join(projectDir, 'setup.sh'), 0o644) // not executable: vm must not need it to be
    await writeFile(
      join(projectDir, 'site.yml'),
      ['- hosts: all', '  gather_facts: false', '  tasks:', '    - copy: {dest: /tmp/from-ansible, content: "ansible was here\\n"}', ''].join('\n'),
    )
    await writeFile(
      join(projectDir, 'Vmfile'),
      [
        'box:',
        `  url: ${server.imageUrl}`,
        `  checksum_url: ${server.checksumUrl}`,
        'cloud_init:',
        '  write_files:',
        '    - path: /etc/motd',
        '      content: "hello from cloud_init\\n"',
        "  # An entry for vm's own user that replaces its keys and sudo, another user, keys for the",
        '  # default user and password logins: none of it may lock vm out of its own machine.',
        '  users:',
        '    - name: vm',
        '      ssh_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJustAnotherKeyThatIsNotVmsOwnKeyAtAll0000 mine"]',
        '      sudo: false',
        '    - name: alice',
        '      shell: /bin/bash',
        '  ssh_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJustAnotherKeyThatIsNotVmsOwnKeyAtAll0000 other"]',
        '  ssh_pwauth: true',
        'machines:',
        '  web:',
        '    folders:',
        '      - host: ./site',
        '        guest: /srv/site',
        '      - {host: ./live, guest: /srv/live, type: virtiofs}',
        '    ports:',
        `      - "127.0.0.1:${HTTP_PORT}:80"`,
        '    provision:',
        '      - shell: "echo run >> /var/tmp/provisioned"',
        '      - shell: {path: ./setup.sh, privileged: false, env: {APP_ENV: dev}, args: [an-arg]}',
        '      - file: {source: ./app.conf, destination: /tmp/app.conf}',
        '      - ansible: {playbook: ./site.yml}',
        '    private_network: {ip: 10.10.0.11}',
        '  db:',
        '    cloud_init:             # a failing runcmd: cloud-init ends in error; the machine is kept',
        '      runcmd: [[sh, -c, "exit 1"]]',
        '    private_network: dhcp',
        `    network: ${LAB_NETWORK}`,
        `    bridge: ${BRIDGE}`,
        '    provision:',
        '      - shell: "test -f /var/tmp/ready || exit 3"',
        '',
      ].join('\n'),
    )
  })

  after(async function () {
    await run(['destroy', '-f']).catch(() => undefined)
    await server?.close()
    lanDhcp?.kill()
    await lanDhcp
    await execa('ip', ['link', 'del', BRIDGE], {reject: false})
    await virsh('net-destroy', LAB_NETWORK).catch(() => undefined)
  })

  it('asks for consent first (ansible, a network and a bridge of its own): exit 2 without a terminal, nothing made; vm allow records it', async function () {
    const refused = await run(['up'])
    expect(refused.exitCode, refused.stderr).to.equal(2)
    expect(refused.stderr).to.match(/^Error: This Vmfile reaches beyond its project, and you have not allowed it/m)
    expect(refused.stderr).to.match(/ansible-playbook runs site\.yml on the host/)
    expect(refused.stderr).to.match(new RegExp(`a NIC on the host bridge ${BRIDGE}`))
    expect(await domainsNamed(project)).to.deep.equal([])
    expect(await volumesNamed(project)).to.deep.equal([])
    const allowed = await run(['allow'])
    expect(allowed.exitCode, allowed.stderr).to.equal(0)
  })

  it('refuses a forwarded port that is in use, and a cloud_init that fails its schema, before creating anything', async function () {
    const holder = await listen(HTTP_PORT)
    try {
      const result = await run(['up', 'web'])
      expect(result.exitCode).to.equal(1)
      expect(result.stderr).to.match(new RegExp(`127\\.0\\.0\\.1:${HTTP_PORT} .*in use`))
    } finally {
      await new Promise((resolve) => holder.close(resolve))
    }
    const vmfile = await readFile(join(projectDir, 'Vmfile'), 'utf8')
    // db's own cloud_init (it replaces the top-level one) gets a key of the wrong type.
    await writeFile(join(projectDir, 'Vmfile'), vmfile.replace('      runcmd: [[sh, -c, "exit 1"]]\n', '      runcmd: [[sh, -c, "exit 1"]]\n      packages: git\n'))
    try {
      const result = await run(['up', 'db', '--allow']) // the Vmfile changed: the consent given is for the one before
      expect(result.exitCode).to.equal(2)
      expect(result.stderr).to.match(/db: the user-data does not pass cloud-init's schema check/)
      expect(result.stderr).to.match(/packages: 'git' is not of type 'array'/)
    } finally {
      await writeFile(join(projectDir, 'Vmfile'), vmfile)
    }
    expect(await domainsNamed(project)).to.deep.equal([])
    expect(await volumesNamed(project)).to.deep.equal([])
  })

  it('comes up: folders synced, provisioners run in order; a cloud-init error is reported and its machine kept', async function () {
    const result = await run(['up'])
    for (const line of `${result.stdout}\n${result.stderr}`.split('\n')) if (/\(\d+\.\d s\)$/.test(line)) note(line)
    expect(result.exitCode, result.stderr).to.equal(1)
    expect(result.stderr).to.match(/^Error: cloud-init finished with status "error" on db\.$/m)
    expect(result.stderr).to.match(/scripts[-_]user/)
    expect(result.stdout).to.not.match(/^db: provisioning with/m)
    expect(result.stderr).to.match(/^web: cloud_init: .*sudo/m)
    expect(result.stdout).to.match(/^web: synced \.\/site → \/srv\/site \(/m)
    expect(result.stdout).to.match(/^web: provisioning with shell #1 \(inline\)/m)
    expect(result.stdout).to.match(/^web: provisioning with ansible #4 \(site\.yml\)/m)
    expect(result.stdout).to.match(/^web: provisioned \(/m)
    const states = JSON.parse((await run(['status', '--json'])).stdout) as {name: string; state: string}[]
    expect(states.map((s) => [s.name, s.state])).to.deep.equal([['web', 'running'], ['db', 'running']])
  })

  it("merges the user's cloud-config without locking vm out", async function () {
    expect(await ssh('web', 'cat /etc/motd')).to.equal('hello from cloud_init')
    expect(await ssh('web', 'id -un alice')).to.equal('alice')
    expect(await ssh('web', 'sudo -n id -un')).to.equal('root')
    const userData = (await run(['cloud-init', 'web', '--file', 'user-data'])).stdout
    expect(userData).to.match(/^#cloud-config$/m)
    expect(userData).to.match(/name: vm/)
    expect(userData).to.match(/name: alice/)
    expect(userData).to.include('AAAAC3NzaC1lZDI1NTE5AAAAIJustAnotherKeyThatIsNotVmsOwnKeyAtAll0000 mine')
    expect(await ssh('web', 'grep -c ssh-ed25519 ~/.ssh/authorized_keys')).to.equal('2')
    expect(userData).to.include('<private host key: shown with --show-secrets>')
    expect(userData).to.not.include('BEGIN OPENSSH PRIVATE KEY')
  })

  it('ran each provisioner once, as the right user, with env, args and files', async function () {
    expect(await ssh('web', 'cat /var/tmp/provisioned')).to.equal('run')
    expect(await ssh('web', 'cat ~/setup.out')).to.equal('dev as vm with an-arg')
    expect(await ssh('web', 'cat /tmp/app.conf')).to.equal('listen 80;')
    expect(await ssh('web', 'cat /tmp/from-ansible')).to.equal('ansible was here')
  })

  it('vm provision: a failing provisioner is named with its status and the machine kept; fixed, it runs again', async function () {
    const failed = await run(['provision', 'db'])
    expect(failed.exitCode).to.equal(1)
    expect(failed.stderr).to.match(/^Error: db: provisioner shell #1 \(inline\) exited with status 3$/m)
    expect(failed.stderr).to.match(/vm provision db/)
    expect(JSON.parse((await run(['status', '--json'])).stdout).find((m: {name: string}) => m.name === 'db').state).to.equal('running')
    await ssh('db', 'sudo touch /var/tmp/ready')
    const result = await run(['provision', 'db'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/provisioned \(/)
  })

  it('machines of the project resolve each other by name, on the private network', async function () {
    expect(await ssh('db', 'getent hosts web')).to.match(/^10\.10\.0\.11\s+web$/)
    const dbAddress = (await ssh('web', 'getent hosts db')).split(/\s+/)[0]!
    expect(dbAddress).to.match(/^10\.10\.0\.\d+$/)
    expect(await ssh('web', "timeout 5 bash -c 'echo > /dev/tcp/db/22' && echo reached")).to.equal('reached')
  })

  it('network: puts the first NIC on the named libvirt network, bridge: adds one on the host bridge', async function () {
    const states = JSON.parse((await run(['status', '--json'])).stdout) as {name: string; ip: string}[]
    expect(states.find((s) => s.name === 'db')?.ip).to.match(/^10\.98\.0\.\d+$/)
    expect(await ssh('db', 'ip -4 -o addr show | grep -o "inet 10\\.99\\.0\\.[0-9]*"')).to.match(/^inet 10\.99\.0\.1\d\d$/)
  })

  it('a forwarded port reaches a server in the guest; vm port lists it', async function () {
    await startHttpServer()
    expect(await fetchForwarded()).to.equal('served from the rsync folder')
    const ports = JSON.parse((await run(['port', 'web', '--json'])).stdout) as unknown[]
    expect(ports).to.deep.equal([{machine: 'web', state: 'running', active: true, hostIp: '127.0.0.1', hostPort: HTTP_PORT, guestPort: 80, protocol: 'tcp'}])
  })

  it("never hands the guest the user's ssh agent, even with ForwardAgent yes in the ssh config; vm ssh -A does", async function () {
    const dir = await tempDir('vm-e2e-agent-')
    const socket = join(dir, 'agent.sock')
    const agent = execa('ssh-agent', ['-D', '-a', socket], {reject: false})
    // The user's own config says ForwardAgent yes for every host (ssh reads root's config by uid, not $HOME).
    const config = '/etc/ssh/ssh_config.d/zz-vm-e2e-forward-agent.conf'
    await writeFile(config, 'Host *\n  ForwardAgent yes\n')
    try {
      await waitFor(async () => (await stat(socket).catch(() => undefined))?.isSocket() === true, 10_000)
      const look = 'if test -S "$SSH_AUTH_SOCK"; then echo agent; else echo none; fi'
      const plain = await run(['ssh', 'web', '--', look], {SSH_AUTH_SOCK: socket})
      expect(plain.exitCode, plain.stderr).to.equal(0)
      expect(plain.stdout.trim()).to.equal('none')
      const asked = await run(['ssh', '-A', 'web', '--', look], {SSH_AUTH_SOCK: socket})
      expect(asked.exitCode, asked.stderr).to.equal(0)
      expect(asked.stdout.trim()).to.equal('agent')
    } finally {
      await rm(config, {force: true})
      if (agent.pid !== undefined) process.kill(agent.pid, 'SIGTERM')
      await agent
    }
  })

  it('a live virtiofs folder shows changes both ways at once', async function () {
    // vm's wrapper runs virtiofsd in a user namespace: the user who ran vm (root here) is vm's
    // user in the guest (uid 1000), so the folder is the guest user's without any chown.
    await writeFile(join(projectDir, 'live/from-host.txt'), 'host wrote this\n')
    expect(await ssh('web', 'cat /srv/live/from-host.txt')).to.equal('host wrote this')
    expect(await ssh('web', 'stat -c %u /srv/live/from-host.txt')).to.equal('1000')
    await ssh('web', 'echo guest wrote this > /srv/live/from-guest.txt')
    expect((await readFile(join(projectDir, 'live/from-guest.txt'), 'utf8')).trim()).to.equal('guest wrote this')
    expect((await stat(join(projectDir, 'live/from-guest.txt'))).uid).to.equal(process.getuid!())
  })

  it("the guest's root in a virtiofs folder: what it writes is not root's on the host; other owners' files and paths outside the share are out of reach", async function () {
    const hostOnly = await tempDir('vm-e2e-host-only-')
    await ssh('web', 'sudo sh -c "echo guest root wrote this > /srv/live/from-guest-root.txt"')
    const made = await stat(join(projectDir, 'live/from-guest-root.txt'))
    // Not root, not the user: the spare range of guest ids (root has no /etc/subuid range here).
    expect(made.uid).to.not.equal(0)
    expect(made.uid).to.be.greaterThan(65535)
    // A host file of another owner than the user (here: not mapped at all) is out of reach.
    await writeFile(join(projectDir, 'live/someone-elses.txt'), 'keep\n', {mode: 0o666})
    await chown(join(projectDir, 'live/someone-elses.txt'), 4242, 4242)
    const chowned = await ssh('web', 'sudo chown root /srv/live/someone-elses.txt 2>&1 && echo chowned || echo refused')
    expect(chowned.split('\n').at(-1)).to.equal('refused')
    expect((await stat(join(projectDir, 'live/someone-elses.txt'))).uid).to.equal(4242)
    // A symlink in the share to a host folder leads, in the guest, to the guest's own folder:
    // virtiofsd serves the share alone.
    await rm(join(projectDir, 'live/host-tmp'), {force: true})
    await symlink(hostOnly, join(projectDir, 'live/host-tmp'))
    await ssh('web', 'sudo mkdir -p ' + hostOnly + ' && sudo sh -c "echo escaped > /srv/live/host-tmp/escape.txt"')
    expect(await stat(join(hostOnly, 'escape.txt')).catch(() => 'absent')).to.equal('absent')
  })

  it('vm rsync mirrors the host folder, deletions included; vm rsync-auto follows changes', async function () {
    await writeFile(join(projectDir, 'site/new.txt'), 'new file\n')
    await rm(join(projectDir, 'site/old.txt'))
    expect((await run(['rsync', 'web'])).exitCode).to.equal(0)
    expect(await ssh('web', 'ls /srv/site | sort | tr "\\n" " "')).to.equal('index.html new.txt')
    const auto = execa('node', [join(ROOT, 'bin/run.js'), 'rsync-auto', 'web'], {cwd: projectDir, env: {VM_HOME: home, VM_POOL: 'vmfile-e2e'}, reject: false})
    try {
      await waitFor(async () => (await auto.pid) !== undefined && /watching/i.test(await outputSoFar(auto)), 30_000)
      const started = Date.now()
      await writeFile(join(projectDir, 'site/auto.txt'), 'followed\n')
      await waitFor(async () => (await run(['ssh', 'web', '--', 'cat /srv/site/auto.txt'])).stdout.trim() === 'followed', 60_000)
      note(`rsync-auto: a new host file reached the guest in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    } finally {
      auto.kill('SIGINT')
      await auto
    }
  })

  it('survives halt and up without provisioning again, and a guest reboot, forwards and all', async function () {
    expect((await run(['halt', 'web'])).exitCode).to.equal(0)
    const up = await run(['up', 'web'])
    expect(up.exitCode, up.stderr).to.equal(0)
    expect(up.stdout).to.not.match(/provisioning with/)
    expect(await ssh('web', 'cat /var/tmp/provisioned')).to.equal('run')
    await startHttpServer()
    expect(await fetchForwarded()).to.equal('served from the rsync folder')
    await run(['ssh', 'web', '--', 'sudo systemctl reboot'])
    await waitFor(async () => (await run(['ssh', 'web', '--', 'true'])).exitCode === 0, 300_000)
    await startHttpServer()
    expect(await fetchForwarded()).to.equal('served from the rsync folder')
  })

  it('vm up --provision runs the provisioners again', async function () {
    const result = await run(['up', '--provision', 'web'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(await ssh('web', 'cat /var/tmp/provisioned')).to.equal('run\nrun')
  })

  it('destroy ends the forward and removes the private network with the last machine', async function () {
    const network = `lab-private-${project}`
    expect((await virsh('net-list', '--all', '--name')).split('\n')).to.include(network)
    expect((await run(['destroy', '-f', 'web'])).exitCode).to.equal(0)
    expect(await portIsFree(HTTP_PORT)).to.equal(true)
    expect((await virsh('net-list', '--all', '--name')).split('\n')).to.include(network)
    expect((await run(['destroy', '-f'])).exitCode).to.equal(0)
    expect((await virsh('net-list', '--all', '--name')).split('\n')).to.not.include(network)
    expect(await domainsNamed(project)).to.deep.equal([])
  })

  /** A throwaway HTTP server on guest port 80 serving the rsync folder, detached from the ssh session. */
  async function startHttpServer(): Promise<void> {
    await ssh('web', 'sudo systemd-run --unit vm-e2e-http --collect python3 -m http.server 80 --directory /srv/site >/dev/null 2>&1 || true')
    await waitFor(async () => (await run(['ssh', 'web', '--', "timeout 2 bash -c 'echo > /dev/tcp/127.0.0.1/80'"])).exitCode === 0, 30_000)
  }

  async function fetchForwarded(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${HTTP_PORT}/index.html`, {signal: AbortSignal.timeout(20_000)})
    return (await response.text()).trim()
  }
})

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

async function portIsFree(port: number): Promise<boolean> {
  try {
    const server = await listen(port)
    await new Promise((resolve) => server.close(resolve))
    return true
  } catch {
    return false
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

const collected = new WeakMap<object, string>()
async function outputSoFar(child: ResultPromise): Promise<string> {
  if (!collected.has(child)) {
    collected.set(child, '')
    const add = (chunk: Buffer) => collected.set(child, collected.get(child)! + chunk.toString())
    child.stdout?.on('data', add)
    child.stderr?.on('data', add)
  }
  return collected.get(child)!
}
