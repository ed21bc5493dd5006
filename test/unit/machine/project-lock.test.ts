import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {stat} from 'node:fs/promises'

import {expect} from 'chai'

import {VmError} from '../../../src/errors.js'
import {acquireFlock} from '../../../src/exec/flock.js'
import {describeLockHolder, withProjectLock} from '../../../src/machine/project-lock.js'
import {Grant} from '../../../src/consent/grant.js'
import {projectPaths} from '../../../src/machine/paths.js'
import type {Project} from '../../../src/machine/project.js'
import type {Vmfile} from '../../../src/vmfile/types.js'
import {tempDir} from '../fixture.js'

// Real flock(1) and the kernel's lock table: these are the parts the lock is made of.
describe('project lock', () => {
  let scratch: Awaited<ReturnType<typeof tempDir>>
  let project: Project
  beforeEach(async () => {
    scratch = await tempDir('vm-lock-')
    project = {dir: scratch.dir, vmfile: {} as Vmfile, paths: projectPaths(scratch.dir), grant: new Grant(scratch.dir)}
  })
  afterEach(() => scratch.remove())

  it('makes .vm/ (git-ignored) and runs the work holding the lock', async () => {
    const result = await withProjectLock(project, {noWait: true}, async () => {
      // This test process is the holder; its command line is mocha's.
      expect(await describeLockHolder(project.paths.lockFile)).to.match(new RegExp(`^PID ${process.pid} \\(.*mocha.*\\)$`))
      return 42
    })
    expect(result).to.equal(42)
    expect((await stat(project.paths.stateDir)).mode & 0o777).to.equal(0o700)
    expect((await stat(`${project.paths.stateDir}/.gitignore`)).isFile()).to.equal(true)
  })

  it('--no-wait fails at once naming the holder\'s PID and command', async () => {
    await withProjectLock(project, {noWait: true}, async () => {
      const error = await withProjectLock(project, {noWait: true}, async () => 'ran').catch((e: unknown) => e)
      expect(error).to.be.instanceOf(VmError)
      expect((error as VmError).code).to.equal('PROJECT_LOCKED')
      expect((error as VmError).message).to.contain(`PID ${process.pid} (`)
    })
  })

  it('waits for the holder, says so once, and runs after it released', async () => {
    const order: string[] = []
    const waits: string[] = []
    let release!: () => void
    const first = withProjectLock(project, {noWait: true}, async () => {
      order.push('first')
      await new Promise<void>((resolve) => (release = resolve))
      order.push('first done')
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    const second = withProjectLock(project, {noWait: false, onWait: (holder) => waits.push(holder)}, async () => order.push('second'))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(order).to.deep.equal(['first'])
    release()
    await Promise.all([first, second])
    expect(order).to.deep.equal(['first', 'first done', 'second'])
    expect(waits).to.have.length(1)
  })

  it('is released when the work throws', async () => {
    await withProjectLock(project, {noWait: true}, async () => {
      throw new Error('boom')
    }).catch(() => undefined)
    expect(await withProjectLock(project, {noWait: true}, async () => 'again')).to.equal('again')
  })

  it('is dropped by the kernel when its holder is killed with SIGKILL', async () => {
    await withProjectLock(project, {noWait: true}, async () => undefined) // makes .vm/
    // A stand-in for a vm process: holds the lock through flock's child, then is killed -9.
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const {acquireFlock} = await import(${JSON.stringify(new URL('../../../src/exec/flock.ts', import.meta.url).pathname)})
      await acquireFlock(${JSON.stringify(project.paths.lockFile)}, {wait: false})
      process.stdout.write('held\\n')
      setInterval(() => {}, 1000)
    `], {stdio: ['ignore', 'pipe', 'inherit']})
    await once(holder.stdout!, 'data')
    expect(await acquireFlock(project.paths.lockFile, {wait: false})).to.equal('busy')
    holder.kill('SIGKILL')
    await once(holder, 'exit')
    let again: Awaited<ReturnType<typeof acquireFlock>> = 'busy'
    for (let i = 0; i < 50 && again === 'busy'; i++) {
      again = await acquireFlock(project.paths.lockFile, {wait: false})
      if (again === 'busy') await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(again).to.not.equal('busy')
    if (again !== 'busy') await again.release()
  })

  it('stops waiting when aborted', async () => {
    await withProjectLock(project, {noWait: true}, async () => {
      const controller = new AbortController()
      const waiting = withProjectLock(project, {noWait: false, signal: controller.signal}, async () => 'ran')
      setTimeout(() => controller.abort(new Error('stop')), 100)
      expect(await waiting.catch((e: Error) => e.message)).to.equal('stop')
    })
  })
})
