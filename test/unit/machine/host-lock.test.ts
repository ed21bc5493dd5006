import {execFile} from 'node:child_process'
import {chmod, lstat, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {expect} from 'chai'

import {hostLockPath, withHostLock} from '../../../src/machine/host-lock.js'

const run = promisify(execFile)

describe('machine/host-lock', () => {
  let dir: string
  const home = () => ({cacheDir: join(dir, 'cache'), dataDir: join(dir, 'data'), configDir: join(dir, 'config')})
  const env = () => ({VM_HOST_LOCK_DIR: join(dir, 'lock')})
  const saved = process.env.VM_HOST_LOCK_DIR
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vm-host-lock-'))
    // Like /run/lock: every user may pass through, and make files in it.
    await chmod(dir, 0o755)
    await run('mkdir', ['-m', '1777', join(dir, 'lock')])
    process.env.VM_HOST_LOCK_DIR = join(dir, 'lock')
  })
  afterEach(async () => {
    if (saved === undefined) delete process.env.VM_HOST_LOCK_DIR
    else process.env.VM_HOST_LOCK_DIR = saved
    await rm(dir, {recursive: true, force: true})
  })

  it('is one file for every user of qemu:///system, and per user for a session or a remote host', () => {
    const system = join(dir, 'lock', 'vm-qemu-system.lock')
    expect(hostLockPath('qemu:///system', home(), env())).to.equal(system)
    expect(hostLockPath('qemu+unix:///system', home(), env())).to.equal(system)
    expect(hostLockPath('qemu:///system', home(), {})).to.equal('/run/lock/vm-qemu-system.lock')
    expect(hostLockPath('qemu+unix:///system?socket=/run/other/libvirt-sock', home(), env())).to.match(/\/lock\/vm-host-[0-9a-f]{16}\.lock$/)
    expect(hostLockPath('qemu:///session', home(), env())).to.equal(join(dir, 'data', 'host.lock'))
    expect(hostLockPath('qemu+ssh://lab/system', home(), env())).to.equal(join(dir, 'data', 'host.lock'))
  })

  it('makes the shared file readable by everyone whatever the umask, so the next user can take it', async () => {
    const old = process.umask(0o077)
    try {
      await withHostLock(home(), 'qemu:///system', {shared: true}, async () => undefined)
    } finally {
      process.umask(old)
    }
    expect((await lstat(join(dir, 'lock', 'vm-qemu-system.lock'))).mode & 0o777).to.equal(0o644)
  })

  it('refuses a symlink at the lock path (another user could point it anywhere) and leaves its target alone', async () => {
    const target = join(dir, 'precious')
    await writeFile(target, 'keep')
    await symlink(target, join(dir, 'lock', 'vm-qemu-system.lock'))
    let ran = false
    const error = await withHostLock(home(), 'qemu:///system', {shared: true}, async () => {
      ran = true
    }).then(() => undefined, (error: unknown) => error as {code?: string; exitCode?: number; message: string})
    expect(error?.code).to.equal('STATE_UNSAFE')
    expect(error?.exitCode).to.equal(2)
    expect(error?.message).to.match(/is a symbolic link/)
    expect(ran).to.equal(false)
    expect(await readFile(target, 'utf8')).to.equal('keep')
  })

  it('excludes another process (another user) while held exclusively, and is free once work ends', async function () {
    const path = join(dir, 'lock', 'vm-qemu-system.lock')
    // As root, the other process runs as an unprivileged user: the file must be open to them.
    const asOther = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'flock'] : ['flock']
    const tryOther = () => run(asOther[0]!, [...asOther.slice(1), '--nonblock', '--shared', path, 'true']).then(() => 'free', (error: {code?: number}) => `busy:${error.code}`)
    await withHostLock(home(), 'qemu:///system', {shared: false}, async () => {
      expect(await tryOther()).to.equal('busy:1')
    })
    expect(await tryOther()).to.equal('free')
    let waited = false
    let second: Promise<string> | undefined
    await withHostLock(home(), 'qemu:///system', {shared: true}, async () => {
      // Shared holders do not exclude each other; an exclusive one waits until they are done.
      expect(await tryOther()).to.equal('free')
      second = withHostLock(home(), 'qemu:///system', {shared: false, onWait: () => (waited = true)}, async () => 'second')
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(waited).to.equal(true)
    })
    expect(await second).to.equal('second')
  })
})
