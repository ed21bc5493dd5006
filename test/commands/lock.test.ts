import {join} from 'node:path'

import {expect} from 'chai'

import {acquireFlock, type HeldFlock} from '../../src/exec/flock.js'
import {domainName} from '../../src/machine/names.js'
import {useProject, VIRSH, virsh, vm} from './helpers.js'

describe('the project lock', () => {
  const current = useProject('box: debian-12\n')
  let held: HeldFlock | undefined
  afterEach(async () => {
    await held?.release()
    held = undefined
  })

  /** This test process takes the project's lock, as a running `vm up` would. */
  async function holdLock(): Promise<void> {
    await vm(current(), ['halt'], [{argv: virsh('domstate', domainName(current().dir, 'default')), stderr: VIRSH.missingDomain('x'), exitCode: 1}])
    const result = await acquireFlock(join(current().dir, '.vm/lock'), {wait: false})
    if (result === 'busy') throw new Error('lock unexpectedly busy')
    held = result
  }

  for (const args of [['up'], ['halt'], ['destroy', '-f'], ['provision']]) {
    it(`vm ${args.join(' ')} --no-wait fails at once with the holder's PID, touching nothing`, async () => {
      await holdLock()
      const result = await vm(current(), [...args, '--no-wait'])
      expect(result.exitCode).to.equal(1)
      expect(result.stderr).to.match(new RegExp(`^Error: Another vm command is changing this project's machines: PID ${process.pid} \\(.*mocha.*\\)\\.$`, 'm'))
      expect(result.stderr).to.match(/^Hint: Wait for it to finish, or run the command again without --no-wait/m)
      expect(result.calls).to.deep.equal([])
    })
  }

  it('vm status takes no lock: it answers while another command holds it', async () => {
    await holdLock()
    const domain = domainName(current().dir, 'default')
    const result = await vm(current(), ['status'], [{argv: virsh('domstate', domain), stderr: VIRSH.missingDomain(domain), exitCode: 1}])
    expect(result.exitCode).to.equal(0)
    expect(result.stdout).to.contain('default  not_created')
  })

  it('without --no-wait, a command waits, says for whom, and runs once the holder is done', async () => {
    await holdLock()
    const domain = domainName(current().dir, 'default')
    const waiting = vm(current(), ['halt'], [{argv: virsh('domstate', domain), stderr: VIRSH.missingDomain(domain), exitCode: 1}])
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await held!.release()
    held = undefined
    const result = await waiting
    expect(result.exitCode).to.equal(0)
    expect(result.stderr).to.match(new RegExp(`^Waiting for another vm command in this project to finish: PID ${process.pid} `, 'm'))
    expect(result.stdout).to.contain('not created; nothing to halt.')
  })
})
