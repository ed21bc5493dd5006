import {spawn} from 'node:child_process'
import {mkdir, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {shellQuote} from '../../src/exec/shell-quote.js'
import {projectHash} from '../../src/machine/names.js'
import {ROOT, TEST_POOL, domainsNamed, note, removeDebrisOfEarlierRuns, serveImage, tempDir, testImage, vm, volumesNamed, type ImageServer} from './helpers.js'

/**
 * The whole lifecycle on real libvirt and QEMU (TCG), one project with two machines, in the order
 * a user would go: a bad Vmfile first, then up, ssh, halt, up, destroy.
 */
describe('vm lifecycle on real libvirt', function () {
  let server: ImageServer
  let home: string
  let projectDir: string
  /** The hash every libvirt name of this run's project ends with. */
  let project: string
  const run = (args: string[], env?: Record<string, string>) => vm(args, {cwd: projectDir, home, env})

  before(async function () {
    server = await serveImage(testImage())
    const root = await tempDir('vm-e2e-')
    home = join(root, 'home')
    projectDir = join(root, 'lab')
    await mkdir(projectDir)
    project = projectHash(projectDir)
    await removeDebrisOfEarlierRuns()
  })

  after(async function () {
    await run(['destroy', '-f']).catch(() => undefined)
    await server?.close()
  })

  it('rejects a Vmfile with errors before creating anything', async function () {
    await writeFile(
      join(projectDir, 'Vmfile'),
      ['box:', `  url: ${server.imageUrl}`, 'cpus: many', 'memroy: 1GiB', 'machines:', '  Alpha: {}', '  beta:', '    disk: 10 gigs', ''].join('\n'),
    )
    const result = await run(['up'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.match(/^Vmfile:2:3 box: expected sha256 or checksum_url/m)
    expect(result.stderr).to.match(/^Vmfile:3:7 cpus: /m)
    expect(result.stderr).to.match(/^Vmfile:4:1 warning: memroy: .*did you mean memory\?$/m)
    expect(result.stderr).to.match(/^Vmfile:6:3 machines\.Alpha: /m)
    expect(result.stderr).to.match(/^Vmfile:8:11 machines\.beta\.disk: /m)
    expect(await domainsNamed(project)).to.deep.equal([])
    expect(await volumesNamed(project)).to.deep.equal([])
    expect(server.requests).to.deep.equal([])
    await expectMissing(join(projectDir, '.vm'))
    await expectMissing(join(home, 'cache'))
  })

  it('says what to do when libvirt cannot be reached', async function () {
    await writeFile(join(projectDir, 'Vmfile'), `box:\n  url: ${server.imageUrl}\n  checksum_url: ${server.checksumUrl}\n`)
    const result = await run(['up'], {VM_LIBVIRT_URI: 'qemu+unix:///system?socket=/nonexistent/libvirt-sock'})
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/^Error: Cannot reach libvirt at qemu\+unix:\/\/\/system\?socket=\/nonexistent\/libvirt-sock: is libvirtd running\?$/m)
    expect(result.stderr).to.match(/^Hint: Start it with `sudo systemctl start libvirtd`/m)
    expect(server.requests).to.deep.equal([])
  })

  it('on a boot timeout shows the serial console and removes the half-made machine', async function () {
    const slowDir = join(projectDir, '..', 'slow')
    await mkdir(slowDir)
    await writeFile(join(slowDir, 'Vmfile'), `box:\n  url: ${server.imageUrl}\n  checksum_url: ${server.checksumUrl}\n`)
    const result = await vm(['up', '--timeout', '15'], {cwd: slowDir, home})
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/^Error: Timed out after 15 s waiting for /m)
    expect(result.stderr).to.match(/^default: last lines of the serial console \(.*-serial\.log\):$/m)
    expect(result.stderr).to.match(/^default: {3}\| \S/m)
    // Newest first: the start, then each thing made, named.
    const undone = ['undone: start ', 'removed domain ', 'removed seed ISO volume ', 'removed overlay volume ']
    const at = undone.map((line) => result.stdout.search(new RegExp(`^default: ${line}`, 'm')))
    expect(at.every((i) => i >= 0), result.stdout).to.equal(true)
    expect([...at].sort((a, b) => a - b)).to.deep.equal(at)
    const slow = projectHash(slowDir)
    expect(await domainsNamed(slow)).to.deep.equal([])
    expect(await volumesNamed(slow)).to.deep.equal([])
    expect((await readFile(join(slowDir, '.vm/known_hosts'), 'utf8')).trim()).to.equal('')
  })

  it('brings two machines up in parallel, each to SSH and cloud-init done', async function () {
    await writeFile(
      join(projectDir, 'Vmfile'),
      [
        'box:',
        `  url: ${server.imageUrl}`,
        `  checksum_url: ${server.checksumUrl}`,
        'cpus: 2',
        'memory: 1GiB',
        'disk: 6GiB',
        'machines:',
        '  alpha: {}',
        '  beta:',
        '    memory: 768MiB',
        '',
      ].join('\n'),
    )
    const result = await run(['up'])
    note(`two-machine vm up: ${result.seconds.toFixed(1)} s`)
    for (const line of result.stdout.split('\n')) if (/\((\d+\.\d) s\)$/.test(line)) note(line)
    expect(result.exitCode, result.stderr).to.equal(0)
    for (const name of ['alpha', 'beta']) {
      for (const milestone of ['booting', 'IP ', 'SSH ready', 'cloud-init done']) {
        expect(result.stdout).to.match(new RegExp(`^${name}: ${milestone}.*\\(\\d+\\.\\d s\\)$`, 'm'))
      }
    }
    const status = JSON.parse((await run(['status', '--json'])).stdout) as Array<{name: string; state: string; ip: string}>
    expect(status.map((s) => [s.name, s.state])).to.deep.equal([
      ['alpha', 'running'],
      ['beta', 'running'],
    ])
    for (const s of status) expect(s.ip).to.match(/^\d+\.\d+\.\d+\.\d+$/)
    expect((await volumesNamed(project)).sort()).to.deep.equal([
      `lab-alpha-${project}-seed.iso`,
      `lab-alpha-${project}.qcow2`,
      `lab-beta-${project}-seed.iso`,
      `lab-beta-${project}.qcow2`,
    ])
  })

  it('logs in with the pinned host key: hostname, exit status and sudo', async function () {
    expect((await run(['ssh', 'alpha', '--', 'hostname'])).stdout.trim()).to.equal('alpha')
    expect((await run(['ssh', 'beta', '--', 'hostname'])).stdout.trim()).to.equal('beta')
    expect((await run(['ssh', 'alpha', '--', 'exit', '7'])).exitCode).to.equal(7)
    const sudo = await run(['ssh', 'beta', '--', 'sudo', '-n', 'id', '-u'])
    expect(sudo.stdout.trim(), sudo.stderr).to.equal('0')
    const memory = await run(['ssh', 'beta', '--', "awk '/MemTotal/ {print $2}' /proc/meminfo"])
    expect(Number(memory.stdout.trim())).to.be.within(600 * 1024, 768 * 1024)
    const knownHosts = await readFile(join(projectDir, '.vm/known_hosts'), 'utf8')
    expect(knownHosts.trim().split('\n')).to.have.length(2)
    expect((await stat(join(projectDir, '.vm/id_ed25519'))).mode & 0o777).to.equal(0o600)
  })

  it('vm global-status lists both machines with their project, from any folder', async function () {
    const result = await vm(['global-status', '--json'], {cwd: join(projectDir, '..'), home})
    expect(result.exitCode, result.stderr).to.equal(0)
    const ours = (JSON.parse(result.stdout) as {name: string; project: string; state: string; ip: string | null}[]).filter((m) => m.project === projectDir)
    expect(ours.map((m) => [m.name, m.state])).to.deep.equal([['alpha', 'running'], ['beta', 'running']])
    expect(ours.every((m) => m.ip !== null)).to.equal(true)
  })

  it('refuses a machine whose host key does not match the pinned one', async function () {
    const path = join(projectDir, '.vm/known_hosts')
    const pinned = await readFile(path, 'utf8')
    // The machines pin their keys in whichever order they finish booting.
    const lines = pinned.trim().split('\n')
    const alphaLine = lines.find((line) => line.startsWith('lab-alpha-'))!
    const betaLine = lines.find((line) => line.startsWith('lab-beta-'))!
    const alias = alphaLine.split(' ')[0]!
    // alpha's name with beta's key: exactly what a different machine answering on alpha's address looks like.
    await writeFile(path, `${alias} ${betaLine.split(' ').slice(1).join(' ')}\n${betaLine}\n`)
    try {
      const result = await run(['ssh', 'alpha', '--', 'true'])
      expect(result.exitCode).to.equal(255)
      expect(result.stderr).to.match(/host key/i)
    } finally {
      await writeFile(path, pinned)
    }
  })

  it('gives an interactive login a terminal', async function () {
    const {execa} = await import('execa')
    // script(1) runs vm on a pseudo-terminal, as a person at a terminal would.
    const result = await execa('script', ['-qec', `node ${join(ROOT, 'bin/run.js')} ssh beta`, '/dev/null'], {
      cwd: projectDir,
      input: 'tty -s && echo "on a tty as $(id -un)"; exit 4\n',
      env: {VM_HOME: home, VM_POOL: TEST_POOL},
      reject: false,
    })
    expect(result.stdout).to.match(/on a tty as vm/)
    expect(result.exitCode).to.equal(4)
  })

  it('grows the root file system to the disk size', async function () {
    const result = await run(['ssh', 'alpha', '--', 'df', '-B1', '--output=size', '/'])
    const bytes = Number(result.stdout.trim().split('\n').at(-1))
    note(`alpha root file system: ${(bytes / 2 ** 30).toFixed(2)} GiB of a 6 GiB disk`)
    expect(bytes).to.be.greaterThan(5.5 * 2 ** 30)
  })

  it('prints an ssh config block that plain ssh can use', async function () {
    const result = await run(['ssh-config', 'alpha'])
    expect(result.stdout).to.match(/^Host alpha$/m)
    expect(result.stdout).to.match(/StrictHostKeyChecking yes/)
    const config = join(projectDir, '.vm/test-ssh-config')
    await writeFile(config, result.stdout)
    const {execa} = await import('execa')
    const ssh = await execa('ssh', ['-F', config, '-o', 'BatchMode=yes', 'alpha', 'hostname'], {reject: false})
    expect(ssh.stdout.trim(), ssh.stderr).to.equal('alpha')
  })

  it('says so when up finds a machine already running, and checks that it is ready', async function () {
    const result = await run(['up', 'alpha'])
    expect(result.exitCode).to.equal(0)
    expect(result.stdout).to.match(/^alpha: already running at [\d.]+; checking that it is ready$/m)
    expect(result.stdout).to.match(/^alpha: cloud-init done \(/m)
  })

  it('keeps data across halt and up', async function () {
    const write = await run(['ssh', 'alpha', '--', 'echo kept-$((6*7)) > marker && sync'])
    expect(write.exitCode, write.stderr).to.equal(0)
    const halt = await run(['halt', 'alpha'])
    note(`vm halt alpha: ${halt.seconds.toFixed(1)} s`)
    expect(halt.exitCode, halt.stderr).to.equal(0)
    expect(halt.stdout).to.match(/^alpha: halted \(/m)
    const status = JSON.parse((await run(['status', '--json'])).stdout) as Array<{name: string; state: string}>
    expect(status.find((s) => s.name === 'alpha')?.state).to.equal('shutoff')
    expect(status.find((s) => s.name === 'beta')?.state).to.equal('running')
    const up = await run(['up', 'alpha'])
    note(`vm up of halted alpha: ${up.seconds.toFixed(1)} s`)
    expect(up.exitCode, up.stderr).to.equal(0)
    expect(up.stdout).to.match(/^alpha: starting \(was shutoff\)$/m)
    expect((await run(['ssh', 'alpha', '--', 'cat', 'marker'])).stdout.trim()).to.equal('kept-42')
  })

  it('reload applies new CPUs and memory from the Vmfile, keeping the disk', async function () {
    const vmfile = join(projectDir, 'Vmfile')
    const before = await readFile(vmfile, 'utf8')
    await writeFile(vmfile, before.replace('  alpha: {}', '  alpha: {cpus: 1, memory: 896MiB}'))
    const reload = await run(['reload', 'alpha'])
    note(`vm reload alpha: ${reload.seconds.toFixed(1)} s`)
    expect(reload.exitCode, reload.stderr).to.equal(0)
    expect(reload.stdout).to.match(/^alpha: applied: 1 CPU \(was 2\), 896MiB memory \(was 1GiB\)$/m)
    expect(reload.stdout).to.match(/^alpha: cloud-init done \(/m)
    const facts = await run(['ssh', 'alpha', '--', 'nproc; grep MemTotal /proc/meminfo; cat marker'])
    const [cpus, memTotal, marker] = facts.stdout.trim().split('\n')
    expect(cpus).to.equal('1')
    expect(Number(/(\d+) kB/.exec(memTotal!)?.[1])).to.be.within(700 * 1024, 896 * 1024)
    expect(marker).to.equal('kept-42')
    // A change only a new machine can take is refused before anything is halted.
    await writeFile(vmfile, before.replace('  alpha: {}', '  alpha: {cpus: 1, memory: 896MiB, private_network: dhcp}'))
    const refused = await run(['reload', 'alpha'])
    expect(refused.exitCode).to.equal(1)
    expect(refused.stderr).to.match(/^Error: vm reload cannot apply every change: alpha: networks /m)
    expect(JSON.parse((await run(['status', '--json'])).stdout)[0].state).to.equal('running')
    await writeFile(vmfile, before.replace('  alpha: {}', '  alpha: {cpus: 1, memory: 896MiB}'))
  })

  it('suspend keeps the memory on disk; resume continues where it was', async function () {
    // /dev/shm is memory: a file there survives a suspend, never a reboot.
    expect((await run(['ssh', 'alpha', '--', 'echo in-memory > /dev/shm/probe'])).exitCode).to.equal(0)
    const suspend = await run(['suspend', 'alpha'])
    note(`vm suspend alpha: ${suspend.seconds.toFixed(1)} s`)
    expect(suspend.exitCode, suspend.stderr).to.equal(0)
    const status = JSON.parse((await run(['status', '--json'])).stdout) as Array<{name: string; state: string}>
    expect(status.find((s) => s.name === 'alpha')?.state).to.equal('suspended')
    expect((await run(['halt', 'alpha'])).stdout).to.match(/^alpha: suspended; `vm resume` or `vm up` continues it\.$/m)
    const resume = await run(['resume', 'alpha'])
    note(`vm resume alpha: ${resume.seconds.toFixed(1)} s`)
    expect(resume.exitCode, resume.stderr).to.equal(0)
    expect((await run(['ssh', 'alpha', '--', 'cat', '/dev/shm/probe'])).stdout.trim()).to.equal('in-memory')
  })

  it('vm console attaches to the serial console (a login prompt), names the escape key, and Ctrl-] leaves', async function () {
    // virsh console needs a terminal: script(1) gives it one.
    const command = shellQuote(['node', join(ROOT, 'bin/run.js'), 'console', 'alpha'])
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {cwd: projectDir, env: {...process.env, VM_HOME: home, VM_POOL: TEST_POOL}, stdio: ['pipe', 'pipe', 'pipe']})
    let text = ''
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    for (let i = 0; i < 60 && !/login: ?$/m.test(text); i++) {
      child.stdin!.write('\r')
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    expect(text).to.contain('Connected to the serial console of alpha; press Ctrl-] to leave.')
    expect(text).to.match(/alpha login:/)
    child.stdin!.write('\x1d')
    expect(await exited, text).to.equal(0)
  })

  it('snapshot save, list, restore and delete on a running machine (disk and memory)', async function () {
    expect((await run(['ssh', 'alpha', '--', 'echo before > snapfile && echo in-memory > /dev/shm/snap && sync'])).exitCode).to.equal(0)
    const save = await run(['snapshot', 'save', 'alpha', 'clean'])
    note(`vm snapshot save (running alpha): ${save.seconds.toFixed(1)} s`)
    expect(save.exitCode, save.stderr).to.equal(0)
    expect((await run(['ssh', 'alpha', '--', 'echo after > snapfile && rm /dev/shm/snap && sync'])).exitCode).to.equal(0)
    const list = JSON.parse((await run(['snapshot', 'list', '--json'])).stdout) as Array<{machine: string; name: string; state: string; current: boolean}>
    expect(list.map(({machine, name, state, current}) => ({machine, name, state, current}))).to.deep.equal([{machine: 'alpha', name: 'clean', state: 'running', current: true}])
    const restore = await run(['snapshot', 'restore', 'alpha', 'clean'])
    note(`vm snapshot restore (running alpha): ${restore.seconds.toFixed(1)} s`)
    expect(restore.exitCode, restore.stderr).to.equal(0)
    expect((await run(['ssh', 'alpha', '--', 'cat snapfile /dev/shm/snap'])).stdout.trim().split('\n')).to.deep.equal(['before', 'in-memory'])
    const twice = await run(['snapshot', 'save', 'alpha', 'clean'])
    expect(twice.exitCode).to.not.equal(0)
    expect(twice.stderr).to.match(/clean/)
    expect((await run(['snapshot', 'delete', 'alpha', 'clean'])).exitCode).to.equal(0)
    expect(JSON.parse((await run(['snapshot', 'list', '--json'])).stdout)).to.deep.equal([])
    // One left on purpose: destroy must remove a machine that has snapshots.
    expect((await run(['snapshot', 'save', 'alpha', 'kept'])).exitCode).to.equal(0)
  })

  it('destroys machines, leaving no domain, overlay or seed ISO, and keeps the box', async function () {
    const result = await run(['destroy', '-f'])
    note(`vm destroy -f (two machines): ${result.seconds.toFixed(1)} s`)
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(await domainsNamed(project)).to.deep.equal([])
    expect(await volumesNamed(project)).to.deep.equal([])
    expect(await volumesNamed(server.sha256)).to.deep.equal([`${server.sha256}.qcow2`])
    expect(await readdir(join(home, 'cache/boxes/sha256'))).to.deep.equal([server.sha256])
    const status = JSON.parse((await run(['status', '--json'])).stdout) as Array<{state: string}>
    expect(status.map((s) => s.state)).to.deep.equal(['not_created', 'not_created'])
    expect((await readFile(join(projectDir, '.vm/known_hosts'), 'utf8')).trim()).to.equal('')
  })

  it('does not download the box again for a new machine', async function () {
    const before = server.requests.filter((r) => r.endsWith('.qcow2')).length
    const result = await run(['up', 'alpha'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(server.requests.filter((r) => r.endsWith('.qcow2')).length).to.equal(before)
    note(`one-machine vm up from a cached box: ${result.seconds.toFixed(1)} s`)
    for (const line of result.stdout.split('\n')) if (/\((\d+\.\d) s\)$/.test(line)) note(line)
    await rm(join(projectDir, '.vm/test-ssh-config'), {force: true})
  })

  it('powers a machine off at once with halt --force', async function () {
    const result = await run(['halt', '--force', 'alpha'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^alpha: powered off \(\d+\.\d s\)$/m)
    expect(result.stdout).not.to.match(/ACPI/)
    const status = await run(['status'])
    expect(status.stdout).to.match(/^alpha\s+shutoff\s+-$/m)
    expect(status.stdout).to.match(/^beta\s+not_created\s+-$/m)
  })
})

async function expectMissing(path: string): Promise<void> {
  const found = await stat(path).then(
    () => true,
    () => false,
  )
  expect(found, `${path} should not exist`).to.equal(false)
}
