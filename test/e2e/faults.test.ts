import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {mkdir, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {projectHash} from '../../src/machine/names.js'
import {ROOT, URI, domainsNamed, note, serveImage, tempDir, testImage, virsh, vm, type ImageServer} from './helpers.js'

/** This file's own pool, so deleting its folder (one of the faults) touches no other test's boxes. */
const POOL = 'vmfile-e2e-faults'

/**
 * Faults injected into a real `vm up` on real libvirt and QEMU (TCG): a failure after every step,
 * Ctrl-C and a double Ctrl-C, kill -9, two commands at once, the state folder deleted, a domain
 * undefined behind vm's back, libvirtd stopped and started again, a damaged record, host faults.
 * Each test asserts on what libvirt holds afterwards (domains, volumes, networks).
 */
describe('faults on real libvirt', function () {
  let server: ImageServer
  let home: string
  let projectDir: string
  let hash: string
  const env = {VM_POOL: POOL}
  const run = (args: string[], extra: Record<string, string> = {}) => vm(args, {cwd: projectDir, home, env: {...env, ...extra}})

  /** What libvirt holds for this project: domains, volumes in the pool, networks. */
  async function held(): Promise<{domains: string[]; volumes: string[]; networks: string[]}> {
    const volumes = (await virsh('vol-list', '--pool', POOL).catch(() => ''))
      .split('\n')
      .slice(2)
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter((n) => n.includes(hash))
    const networks = (await virsh('net-list', '--all', '--name')).split('\n').filter((n) => n.includes(hash))
    return {domains: await domainsNamed(hash), volumes, networks}
  }

  const nothing = {domains: [], volumes: [], networks: []}

  /** Starts `vm ARGS` and resolves once its output matches PATTERN; the caller ends it. */
  function start(args: string[], extra: Record<string, string> = {}): {child: ChildProcess; output: () => string; reached: (pattern: RegExp) => Promise<void>; exit: Promise<number | null>} {
    const child = spawn('node', [join(ROOT, 'bin/run.js'), ...args], {
      cwd: projectDir,
      env: {...process.env, VM_HOME: home, VM_ACCELERATOR: 'tcg', ...env, ...extra},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let text = ''
    const waiters: Array<{pattern: RegExp; resolve: () => void}> = []
    const onData = (chunk: Buffer) => {
      text += chunk.toString()
      for (const w of [...waiters]) if (w.pattern.test(text)) w.resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : null))))
    return {
      child,
      output: () => text,
      exit,
      reached: (pattern) =>
        new Promise<void>((resolve, reject) => {
          if (pattern.test(text)) return resolve()
          waiters.push({pattern, resolve})
          void exit.then(() => (pattern.test(text) ? resolve() : reject(new Error(`vm ${args.join(' ')} exited before printing ${pattern}:\n${text}`))))
        }),
    }
  }

  before(async function () {
    server = await serveImage(testImage())
    const root = await tempDir('vm-e2e-faults-')
    home = join(root, 'home')
    projectDir = join(root, 'faults')
    await mkdir(projectDir)
    hash = projectHash(projectDir)
    await writeFile(
      join(projectDir, 'Vmfile'),
      [`box:`, `  url: ${server.imageUrl}`, `  checksum_url: ${server.checksumUrl}`, 'memory: 1GiB', 'machines:', '  m:', '    private_network: {ip: 10.231.7.10}', ''].join('\n'),
    )
  })

  after(async function () {
    await run(['destroy', '-f']).catch(() => undefined)
    await virsh('pool-destroy', POOL).catch(() => undefined)
    await virsh('pool-undefine', POOL).catch(() => undefined)
    await rm(`/var/lib/libvirt/images/${POOL}`, {recursive: true, force: true})
    await server?.close()
  })

  const steps = ['clear leftover volumes', 'create overlay', 'create seed ISO', 'define domain', 'start', 'wait for the machine to be ready']
  for (const step of steps) {
    it(`a failure right after "${step}" undoes everything this up made`, async function () {
      const result = await run(['up'], {VM_TEST_FAULT_AFTER: step})
      expect(result.exitCode, result.stderr).to.equal(1)
      expect(result.stderr).to.match(new RegExp(`^Error: Fault injected after "${step}`, 'm'))
      if (step !== 'clear leftover volumes') expect(result.stdout).to.match(/^m: removed overlay volume /m)
      expect(await held()).to.deep.equal(nothing)
      note(`fault after "${step}": up failed and rolled back in ${result.seconds.toFixed(1)} s`)
    })
  }

  it('Ctrl-C during boot: exit 130, says what it removed, and libvirt holds nothing of the project', async function () {
    const up = start(['up'])
    await up.reached(/^m: booting/m)
    const interrupted = Date.now()
    up.child.kill('SIGINT')
    const code = await up.exit
    note(`Ctrl-C during boot: rolled back in ${((Date.now() - interrupted) / 1000).toFixed(1)} s`)
    expect(code, up.output()).to.equal(130)
    expect(up.output()).to.match(/^Interrupted: cleaning up what this command made/m)
    expect(up.output()).to.match(/^m: removed domain /m)
    expect(up.output()).to.match(/^m: removed seed ISO volume /m)
    expect(up.output()).to.match(/^m: removed overlay volume /m)
    expect(await held()).to.deep.equal(nothing)
  })

  it('a second Ctrl-C exits at once, lists what is left, and the command it names removes it', async function () {
    const up = start(['up'])
    await up.reached(/^m: booting/m)
    up.child.kill('SIGINT')
    await new Promise((resolve) => setTimeout(resolve, 30))
    up.child.kill('SIGINT')
    expect(await up.exit).to.equal(130)
    expect(up.output()).to.match(/^Exiting at once, without undoing\.$/m)
    expect(up.output()).to.match(/^Left behind by this command:$/m)
    expect(up.output()).to.match(/^ {2}m: .*domain /m)
    expect(up.output()).to.match(/^`vm destroy -f m` removes them/m)
    const destroy = await run(['destroy', '-f'])
    expect(destroy.exitCode, destroy.stderr).to.equal(0)
    expect(await held()).to.deep.equal(nothing)
  })

  it('kill -9 halfway through creation: the next up clears the leftover volume and comes up', async function () {
    const up = start(['up'], {VM_TEST_HANG_AFTER: 'create overlay'})
    await up.reached(/^hanging after "create overlay/m)
    up.child.kill('SIGKILL')
    await up.exit
    const left = await held()
    expect(left.domains).to.deep.equal([])
    expect(left.volumes).to.deep.equal([`faults-m-${hash}.qcow2`])
    const status = JSON.parse((await run(['status', '--json'])).stdout) as Array<{state: string}>
    expect(status[0]!.state).to.equal('not_created')

    // Meanwhile, a second up waits for the first, and one with --no-wait names it.
    const again = start(['up'])
    await again.reached(/^m: booting/m)
    const noWait = await run(['up', '--no-wait'])
    expect(noWait.exitCode).to.equal(1)
    expect(noWait.stderr).to.match(new RegExp(`^Error: Another vm command is changing this project's machines: PID ${again.child.pid} \\(vm up\\)\\.$`, 'm'))
    const waiting = start(['up'])
    await waiting.reached(/^Waiting for another vm command in this project to finish: PID \d+ \(vm up\)\.$/m)
    expect(await again.exit, again.output()).to.equal(0)
    expect(again.output()).to.match(/^m: removed leftover volume faults-m-[0-9a-f]{8}\.qcow2 of an earlier interrupted run$/m)
    expect(await waiting.exit, waiting.output()).to.equal(0)
    expect(waiting.output()).to.match(/^m: already running at [\d.]+; checking that it is ready$/m)
    expect((await held()).domains).to.deep.equal([`faults-m-${hash}`])
  })

  it('a domain undefined behind vm\'s back shows as not_created, and up makes it again', async function () {
    const domain = `faults-m-${hash}`
    await virsh('destroy', domain)
    await virsh('undefine', domain)
    const status = JSON.parse((await run(['status', '--json'])).stdout) as Array<{state: string}>
    expect(status[0]!.state).to.equal('not_created')
    const up = await run(['up'])
    note(`up after the domain was undefined behind vm's back: ${up.seconds.toFixed(1)} s`)
    expect(up.exitCode, up.stderr).to.equal(0)
    expect(up.stdout).to.match(/^m: removed leftover volume .*-seed\.iso of an earlier interrupted run$/m)
    expect((await run(['ssh', '--', 'hostname'])).stdout.trim()).to.equal('m')
  })

  it('libvirtd stopped during up: a clear error; once it is started again, up finds the machine and checks it is ready', async function () {
    await run(['halt'])
    const up = start(['up'])
    await up.reached(/^m: booting/m)
    // Only a live libvirtd counts: a stopped one lingers as a zombie until init reaps it.
    const liveLibvirtd = () => spawnSync('pgrep', ['-x', '-r', 'R,S,D,T', 'libvirtd']).status === 0
    const pid = execFileSync('pgrep', ['-x', '-r', 'R,S,D,T', 'libvirtd']).toString().trim().split('\n')[0]!
    process.kill(Number(pid), 'SIGTERM')
    let code: number | null
    try {
      code = await up.exit
    } finally {
      // Started again whatever happened, or every later test would fail with it.
      for (let i = 0; i < 300 && liveLibvirtd(); i++) await new Promise((resolve) => setTimeout(resolve, 100))
      execFileSync('bash', [join(ROOT, 'test/e2e/host/start-libvirt.sh')])
    }
    expect(code, up.output()).to.equal(1)
    expect(up.output()).to.match(new RegExp(`^Error: Cannot reach libvirt at ${URI.replaceAll('/', '\\/')}: is libvirtd running\\?$`, 'm'))
    const again = await run(['up'])
    note(`up after libvirtd was restarted: ${again.seconds.toFixed(1)} s`)
    expect(again.exitCode, again.stderr).to.equal(0)
    expect((await held()).domains).to.deep.equal([`faults-m-${hash}`])
    expect((await run(['ssh', '--', 'hostname'])).stdout.trim()).to.equal('m')
  })

  it('.vm/ deleted: status and global-status still find the machine, up says the key is gone, destroy removes it all', async function () {
    await rm(join(projectDir, '.vm'), {recursive: true})
    const status = JSON.parse((await run(['status', '--json'])).stdout) as Array<{state: string}>
    expect(status[0]!.state).to.equal('running')
    const global = JSON.parse((await run(['global-status', '--json'])).stdout) as Array<{project: string}>
    expect(global.map((g) => g.project)).to.include(projectDir)
    const up = await run(['up'])
    expect(up.exitCode).to.equal(1)
    expect(up.stderr).to.match(/^Error: The project's key .*\.vm\/id_ed25519 is gone \(was \.vm\/ deleted\?\), so vm cannot log in to m\.$/m)
    expect(up.seconds).to.be.below(30)
    const destroy = await run(['destroy', '-f'])
    expect(destroy.exitCode, destroy.stderr).to.equal(0)
    expect(await held()).to.deep.equal(nothing)
  })

  it('a damaged box cache record stops up naming the file, and nothing is created', async function () {
    const entries = join(home, 'cache/boxes/sha256')
    const [entry] = await readdir(entries)
    const meta = join(entries, entry!, 'meta.json')
    const good = await readFile(meta, 'utf8')
    await writeFile(meta, good.slice(0, 40))
    try {
      const up = await run(['up'])
      expect(up.exitCode).to.equal(1)
      expect(up.stderr).to.contain(`Error: The box cache record ${meta} is damaged.`)
      expect(await held()).to.deep.equal(nothing)
    } finally {
      await writeFile(meta, good)
    }
  })

  it('the default network inactive: up starts it', async function () {
    await virsh('net-destroy', 'default')
    const up = await run(['up'], {VM_TEST_FAULT_AFTER: 'create overlay'})
    expect(up.stdout).to.match(/^Starting libvirt network default$/m)
    expect(await virsh('net-info', 'default')).to.match(/^Active:\s+yes$/m)
    expect(await held()).to.deep.equal(nothing)
  })

  it('global-status --prune removes a deleted project\'s machine, leftover volumes and unused private networks, after asking', async function () {
    // A second project whose up is killed once its machine is defined, then its folder deleted.
    const goneDir = join(projectDir, '..', 'gone')
    await mkdir(goneDir)
    await writeFile(join(goneDir, 'Vmfile'), (await readFile(join(projectDir, 'Vmfile'), 'utf8')).replace('10.231.7.10', '10.231.8.10'))
    const goneHash = projectHash(goneDir)
    const killAfter = async (cwd: string, step: string) => {
      const child = spawn('node', [join(ROOT, 'bin/run.js'), 'up'], {cwd, env: {...process.env, VM_HOME: home, VM_ACCELERATOR: 'tcg', ...env, VM_TEST_HANG_AFTER: step}, stdio: ['ignore', 'ignore', 'pipe']})
      let text = ''
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          text += chunk.toString()
          if (text.includes(`hanging after "${step}`)) resolve()
        })
        child.on('exit', () => reject(new Error(`up exited before hanging: ${text}`)))
      })
      child.kill('SIGKILL')
    }
    await killAfter(goneDir, 'define domain')
    await killAfter(projectDir, 'create seed ISO')
    await rm(goneDir, {recursive: true})
    const global = JSON.parse((await run(['global-status', '--json'])).stdout) as Array<{project: string; projectExists: boolean}>
    expect(global.find((m) => m.project === goneDir)?.projectExists).to.equal(false)

    const asked = await run(['global-status', '--prune'])
    expect(asked.exitCode).to.equal(2)
    expect(asked.stderr).to.match(/^ {2}machine m of .*\/gone \(folder gone; shutoff\): domain gone-m-[0-9a-f]{8} and its disk$/m)
    expect(asked.stderr).to.match(/^Error: Refusing to prune without confirmation when not run from a terminal\.$/m)
    expect((await held()).volumes).to.have.length(2)

    const pruned = await run(['global-status', '--prune', '--force'])
    expect(pruned.exitCode, pruned.stderr).to.equal(0)
    expect(pruned.stdout).to.match(/^removed machine m of /m)
    expect(pruned.stdout).to.match(new RegExp(`^removed volume faults-m-${hash}\\.qcow2 \\(its machine is gone\\)$`, 'm'))
    expect(pruned.stdout).to.match(new RegExp(`^removed private network faults-private-${hash} `, 'm'))
    expect(pruned.stdout).to.match(new RegExp(`^removed private network gone-private-${goneHash} `, 'm'))
    expect(await held()).to.deep.equal(nothing)
    expect(await domainsNamed(goneHash)).to.deep.equal([])
    expect((await virsh('vol-list', '--pool', POOL)).split('\n').filter((l) => l.includes(goneHash))).to.deep.equal([])
    expect((await virsh('net-list', '--all', '--name')).split('\n').filter((l) => l.includes(goneHash))).to.deep.equal([])
    // The box stays: that is `vm box prune`'s to remove.
    expect(await virsh('vol-list', '--pool', POOL)).to.match(/[0-9a-f]{64}\.qcow2/)
  })

  /**
   * A pool of its own on a tmpfs of SIZE, mounted where libvirtd looks: libvirtd has a mount
   * namespace of its own (ip netns exec makes one). WORK gets the folder and a way to resize or
   * unmount it; afterwards the machine, the pool and the mount are removed whatever happened.
   */
  async function withSmallDisk(pool: string, size: string, work: (disk: {folder: string; env: Record<string, string>; mount: (...options: string[]) => void; unmount: () => void}) => Promise<void>): Promise<void> {
    const folder = `/var/lib/libvirt/images/${pool}`
    const env = {VM_POOL: pool}
    await mkdir(folder, {recursive: true})
    const libvirtd = execFileSync('pgrep', ['-x', 'libvirtd']).toString().trim().split('\n')[0]!
    const inLibvirtd = (...args: string[]) => execFileSync('nsenter', ['-t', libvirtd, '-m', ...args], {stdio: 'ignore'})
    let mounted = true
    inLibvirtd('mount', '-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', folder)
    const unmount = () => {
      if (mounted) inLibvirtd('umount', folder)
      mounted = false
    }
    try {
      await work({folder, env, mount: (...options) => inLibvirtd('mount', ...options, folder), unmount})
    } finally {
      await run(['destroy', '-f'], env).catch(() => undefined)
      for (const line of (await virsh('vol-list', '--pool', pool).catch(() => '')).split('\n').slice(2)) {
        const volume = line.trim().split(/\s+/)[0]
        if (volume) await virsh('vol-delete', '--pool', pool, volume).catch(() => undefined)
      }
      await virsh('pool-destroy', pool).catch(() => undefined)
      await virsh('pool-undefine', pool).catch(() => undefined)
      unmount()
      await rm(folder, {recursive: true, force: true})
    }
  }

  it('a full disk: up refuses before making anything, and succeeds once there is room', async function () {
    await withSmallDisk('vmfile-e2e-full', '64m', async ({folder, env, unmount}) => {
      // vm makes the pool on the small disk, then refuses to make the machine.
      const full = await run(['up'], env)
      expect(full.exitCode).to.equal(1)
      expect(full.stderr).to.match(new RegExp(`^Error: Not enough free disk space for a new machine: pool ${env.VM_POOL} has 6\\d(\\.\\d)?MiB free, vm needs 1GiB\\.$`, 'm'))
      expect(full.stderr).to.match(new RegExp(`^Hint: Free space on the disk that holds ${folder} \\(\`df -h ${folder}\`;`, 'm'))
      expect(await held()).to.deep.equal(nothing)
      unmount()
      const roomy = await run(['up'], {...env, VM_TEST_FAULT_AFTER: 'create overlay'})
      expect(roomy.stderr).to.match(/^Error: Fault injected after "create overlay/m)
      expect(await virsh('vol-list', '--pool', env.VM_POOL!)).to.not.contain(hash)
    })
  })

  it('a disk that fills while the machine runs: status names the pause and its cause, up refuses until there is room, then resumes it', async function () {
    // Room for the box and the 1 GiB vm asks for, not for what the guest is about to write.
    await withSmallDisk('vmfile-e2e-tiny', '1300m', async ({folder, env, mount}) => {
      const up = await run(['up'], env)
      expect(up.exitCode, up.stderr).to.equal(0)
      expect((await run(['ssh', '--', 'nohup dd if=/dev/zero of=fill bs=4M count=400 oflag=direct >/dev/null 2>&1 &'], env)).exitCode).to.equal(0)
      let state = ''
      for (let i = 0; i < 240 && state !== 'paused I/O error'; i++) {
        const [entry] = JSON.parse((await run(['status', '--json'], env)).stdout) as Array<{state: string; problem: string | null}>
        state = `${entry!.state} ${entry!.problem}`
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
      expect(state).to.equal('paused I/O error')
      const status = await run(['status'], env)
      expect(status.stdout).to.match(/^m +paused \(I\/O error\) /m)
      expect(status.stderr).to.contain(`m: QEMU paused it because a write to its disk failed: the disk that holds ${folder} (\`df -h ${folder}\`) is probably full.`)
      const refused = await run(['up'], env)
      expect(refused.exitCode).to.equal(1)
      expect(refused.stderr).to.match(new RegExp(`^Error: Not enough free disk space for m to run again: pool ${env.VM_POOL} has `, 'm'))
      mount('-o', 'remount,size=3g')
      const resumed = await run(['up'], env)
      note(`up of a machine paused on a full disk, once there was room: ${resumed.seconds.toFixed(1)} s`)
      expect(resumed.exitCode, resumed.stderr).to.equal(0)
      expect((await run(['ssh', '--', 'true'], env)).exitCode).to.equal(0)
    })
  })

  it('the pool\'s folder deleted: up makes it again, imports the box again and comes up to the fault', async function () {
    await rm(`/var/lib/libvirt/images/${POOL}`, {recursive: true})
    const up = await run(['up'], {VM_TEST_FAULT_AFTER: 'define domain'})
    expect(up.stdout).to.match(new RegExp(`^The folder of libvirt pool ${POOL} .* is gone; making it again\\.$`, 'm'))
    expect(up.stderr).to.match(/^Error: Fault injected after "define domain/m)
    expect(await held()).to.deep.equal(nothing)
  })
})
