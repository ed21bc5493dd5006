import {expect} from 'chai'

import {CommandFailedError, type CommandResult, type RunOptions, type Runner} from '../../../src/exec/runner.js'
import {parseManagedSave} from '../../../src/libvirt/dominfo-parse.js'
import {inspectManagedSave, inspectSuspended, managedSave, restoreDomain} from '../../../src/libvirt/managed-save.js'
import {Virsh} from '../../../src/libvirt/virsh.js'

/*
 * Real `LC_ALL=C virsh -c qemu:///system dominfo DOMAIN` output (virsh 9.0.0, QEMU 7.2, TCG),
 * of one of vm's machines after `virsh managedsave` (domstate then says "shut off", reason
 * "saved") and while it ran.
 */
const DOMINFO_SAVED = `Id:             -
Name:           h-susp-proj-plain-3f66aa8f
UUID:           aec8c343-a889-413d-9fe1-75582a16a5cc
OS Type:        hvm
State:          shut off
CPU(s):         1
Max memory:     1048576 KiB
Used memory:    1048576 KiB
Persistent:     yes
Autostart:      disable
Managed save:   yes
Security model: none
Security DOI:   0

`
const DOMINFO_RUNNING = `Id:             4
Name:           h-susp-proj-fwd-3f66aa8f
UUID:           da9a062f-a9d4-4e28-a39d-96f76826b6a9
OS Type:        hvm
State:          running
CPU(s):         1
CPU time:       50.6s
Max memory:     1048576 KiB
Used memory:    1048576 KiB
Persistent:     yes
Autostart:      disable
Managed save:   no
Security model: none
Security DOI:   0
Messages:       tainted: custom configuration parameters specified

`
const MISSING = "error: failed to get domain 'gone'\n"

/** Answers virsh calls from a table keyed by the words after `-c URI`; records every call. */
class TableRunner implements Runner {
  readonly calls: Array<{args: string[]; options?: RunOptions}> = []

  constructor(private readonly table: Record<string, Partial<CommandResult>>) {}

  async run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult> {
    const words = args.slice(2)
    this.calls.push({args: words, options})
    const answer = this.table[words.join(' ')]
    if (file !== 'virsh' || !answer) throw new Error(`unexpected command: ${file} ${args.join(' ')}`)
    const result = {stdout: '', stderr: '', exitCode: 0, ...answer}
    if (result.exitCode !== 0) throw new CommandFailedError([file, ...args], result)
    return result
  }
}

describe('libvirt/dominfo-parse', () => {
  it('a managed-saved domain has a managed-save image', () => {
    expect(parseManagedSave(DOMINFO_SAVED)).to.equal(true)
  })

  it('a running domain has none', () => {
    expect(parseManagedSave(DOMINFO_RUNNING)).to.equal(false)
  })

  it('"unknown" (virsh could not ask) and a missing line count as none', () => {
    expect(parseManagedSave(DOMINFO_SAVED.replace('Managed save:   yes', 'Managed save:   unknown'))).to.equal(false)
    expect(parseManagedSave(DOMINFO_SAVED.replace(/^Managed save:.*\n/m, ''))).to.equal(false)
    expect(parseManagedSave('')).to.equal(false)
  })
})

describe('libvirt/managed-save', () => {
  const URI = 'qemu:///system'

  it('inspectManagedSave reads dominfo, and is false for a domain that does not exist', async () => {
    const runner = new TableRunner({'dominfo web': {stdout: DOMINFO_SAVED}, 'dominfo gone': {stderr: MISSING, exitCode: 1}})
    const virsh = new Virsh(runner, URI)
    expect(await inspectManagedSave(virsh, 'web')).to.equal(true)
    expect(await inspectManagedSave(virsh, 'gone')).to.equal(false)
  })

  it('inspectSuspended asks libvirt only about a shut-off domain', async () => {
    const runner = new TableRunner({'dominfo web': {stdout: DOMINFO_SAVED}})
    const virsh = new Virsh(runner, URI)
    expect(await inspectSuspended(virsh, {state: 'running', domain: 'web'})).to.equal(false)
    expect(await inspectSuspended(virsh, {state: 'paused', domain: 'web'})).to.equal(false)
    expect(runner.calls).to.deep.equal([])
    expect(await inspectSuspended(virsh, {state: 'shutoff', domain: 'web'})).to.equal(true)
    expect(runner.calls.map((c) => c.args)).to.deep.equal([['dominfo', 'web']])
  })

  it('managedSave restores to running (--running) and, like restoreDomain, has no deadline', async () => {
    const runner = new TableRunner({'managedsave --running web': {stdout: "\nDomain 'web' state saved by libvirt\n\n"}, 'start web': {stdout: "Domain 'web' started\n\n"}})
    const virsh = new Virsh(runner, URI)
    await managedSave(virsh, 'web')
    await restoreDomain(virsh, 'web')
    expect(runner.calls.map((c) => c.args)).to.deep.equal([['managedsave', '--running', 'web'], ['start', 'web']])
    for (const call of runner.calls) {
      expect(call.options).to.have.property('timeoutMs', undefined)
    }
  })
})
