import {expect} from 'chai'

import {CommandFailedError, type CommandResult, type Runner} from '../../../src/exec/runner.js'
import {domainName} from '../../../src/machine/names.js'
import {projectPaths} from '../../../src/machine/paths.js'
import type {Project} from '../../../src/machine/project.js'
import {createServices, type Services} from '../../../src/services.js'
import {resumeMachines, saveRefusalError, suspendMachines} from '../../../src/steps/suspend.js'
import type {MachineConfig} from '../../../src/vmfile/types.js'
import {ownedDomainXml, rejectedVmError} from '../fixture.js'

const URI = 'qemu:///system'
const DIR = '/home/ana/shop'

/* libvirt 9.0's words, as real virsh printed them for vm's machines (TCG, QEMU 7.2). */
const VIRTIOFS_REFUSAL = (domain: string) =>
  `error: Failed to save domain '${domain}' state\nerror: Requested operation is not valid: cannot migrate domain: non-migratable device: 0000:00:01.0:00.0/vhost-user-fs\n`
const MISSING = (domain: string) => `error: failed to get domain '${domain}'\n`
const DOMINFO = (saved: boolean) => `Id:             -\nState:          shut off\nPersistent:     yes\nManaged save:   ${saved ? 'yes' : 'no'}\n\n`

type Domain = {state: 'running' | 'paused' | 'shut off' | 'in shutdown'; saved: boolean; savedPaused?: boolean; virtiofs?: boolean; startFailure?: string}

/**
 * libvirt's domain lifecycle behind virsh's command line, in memory: the code under test goes
 * through the real Virsh class, only the process is fake. Unknown commands fail the test.
 */
class FakeDomains implements Runner {
  readonly domains = new Map<string, Domain>()
  readonly changes: string[] = []

  add(machine: string, domain: Domain): string {
    const name = domainName(DIR, machine)
    this.domains.set(name, domain)
    return name
  }

  async run(file: string, args: readonly string[]): Promise<CommandResult> {
    if (file !== 'virsh' || args[0] !== '-c' || args[1] !== URI) throw new Error(`unexpected command: ${file} ${args.join(' ')}`)
    const words = args.slice(2)
    const name = words.at(-1)!
    const argv = [file, ...args]
    // inspectMachine looks up a running machine's IP; these machines have none yet.
    if (words[0] === 'net-dhcp-leases') return ok(' Expiry Time   MAC address   Protocol   IP address   Hostname   Client ID or DUID\n-----------\n\n')
    const domain = this.domains.get(name)
    if (!domain) return fail(argv, MISSING(name))
    const verb = words.slice(0, -1).join(' ')
    if (verb === 'domstate') return ok(`${domain.state}\n\n`)
    if (verb === 'dumpxml') return ok(xmlOf(name))
    if (verb === 'dominfo') return ok(DOMINFO(domain.saved))
    this.changes.push(words.join(' '))
    if (verb === 'managedsave --running') {
      if (domain.state !== 'running' && domain.state !== 'paused') return fail(argv, `error: Failed to save domain '${name}' state\nerror: Requested operation is not valid: domain is not running\n`)
      if (domain.virtiofs) return fail(argv, VIRTIOFS_REFUSAL(name))
      Object.assign(domain, {state: 'shut off', saved: true, savedPaused: false})
      return ok(`\nDomain '${name}' state saved by libvirt\n\n`)
    }
    if (verb === 'start') {
      if (domain.startFailure) return fail(argv, domain.startFailure)
      Object.assign(domain, {state: domain.saved && domain.savedPaused ? 'paused' : 'running', saved: false})
      return ok(`Domain '${name}' started\n\n`)
    }
    if (verb === 'resume') {
      domain.state = 'running'
      return ok(`Domain '${name}' resumed\n\n`)
    }
    throw new Error(`unexpected virsh command: ${words.join(' ')}`)
  }
}

function ok(stdout: string): CommandResult {
  return {stdout, stderr: '', exitCode: 0}
}

function fail(argv: string[], stderr: string): never {
  throw new CommandFailedError(argv, {stdout: '', stderr, exitCode: 1})
}

function xmlOf(name: string): string {
  return ownedDomainXml({name, machine: name.split('-')[1]!, projectDir: DIR, mac: '52:54:00:12:34:56'})
}

function machine(name: string): MachineConfig {
  return {name, box: {kind: 'catalog', name: 'debian-12'}, cpus: 1, memoryBytes: 2 ** 30, diskBytes: 2 ** 33, accelerator: 'tcg', folders: [], ports: [], provisioners: []}
}

function setup(): {fake: FakeDomains; services: Services; project: Project; lines: string[]} {
  const fake = new FakeDomains()
  const lines: string[] = []
  const out = {info: (line: string) => lines.push(line), warn: (line: string) => lines.push(`warn: ${line}`)}
  const services = createServices({out, signal: new AbortController().signal, verbose: false, env: {VM_HOME: '/nonexistent'}, runner: fake})
  const project = {dir: DIR, paths: projectPaths(DIR), vmfile: {}} as unknown as Project
  return {fake, services, project, lines}
}

/** Lines without their elapsed times, in a stable order (machines run in parallel). */
function settled(lines: string[]): string[] {
  return lines.map((line) => line.replace(/\(\d+\.\d s\)/, '(N s)')).sort()
}

describe('steps/suspend', () => {
  describe('suspendMachines', () => {
    it('saves running and paused machines, so both come back running', async () => {
      const {fake, services, project, lines} = setup()
      const web = fake.add('web', {state: 'running', saved: false})
      const db = fake.add('db', {state: 'paused', saved: false})
      await suspendMachines(services, project, [machine('web'), machine('db')])
      expect(settled(lines)).to.deep.equal(['db: suspended (N s)', 'web: suspended (N s)'])
      expect(fake.changes.sort()).to.deep.equal([`managedsave --running ${db}`, `managedsave --running ${web}`].sort())
      expect(fake.domains.get(web)).to.include({state: 'shut off', saved: true})
    })

    it('notes machines with nothing to suspend and changes nothing', async () => {
      const {fake, services, project, lines} = setup()
      fake.add('web', {state: 'shut off', saved: true})
      fake.add('db', {state: 'shut off', saved: false})
      await suspendMachines(services, project, [machine('web'), machine('db'), machine('cache')])
      expect(settled(lines)).to.deep.equal(['cache: not created; nothing to suspend.', 'db: halted; nothing to suspend.', 'web: already suspended.'])
      expect(fake.changes).to.deep.equal([])
    })

    it("explains libvirt's refusal of a machine with a virtiofs folder, and still suspends the others", async () => {
      const {fake, services, project, lines} = setup()
      fake.add('web', {state: 'running', saved: false, virtiofs: true})
      const db = fake.add('db', {state: 'running', saved: false})
      const error = await rejectedVmError(suspendMachines(services, project, [machine('web'), machine('db')]))
      expect(error.code).to.equal('SUSPEND_UNSUPPORTED')
      expect(error.message).to.equal('web cannot be suspended: it has a live folder (virtiofs or 9p), whose state QEMU cannot save with the memory.')
      expect(error.hint).to.contain('`vm halt web`')
      expect(fake.domains.get(db)).to.include({state: 'shut off', saved: true})
      expect(settled(lines)).to.deep.equal(['db: suspended (N s)'])
    })

    it('refuses a machine in a passing state, naming it', async () => {
      const {fake, services, project} = setup()
      fake.add('web', {state: 'in shutdown', saved: false})
      const error = await rejectedVmError(suspendMachines(services, project, [machine('web')]))
      expect(error.code).to.equal('MACHINE_STATE_UNEXPECTED')
      expect(error.message).to.equal('web is in shutdown; vm can suspend it only when it is running or paused.')
      expect(fake.changes).to.deep.equal([])
    })
  })

  describe('saveRefusalError', () => {
    it('names the live folder for virtiofs and for a mounted 9p export', () => {
      expect(saveRefusalError('web', VIRTIOFS_REFUSAL('d'))?.message).to.contain('live folder')
      // Not captured (the test image's kernel has no 9p): QEMU 7.2's migration blocker text in hw/9pfs.
      const ninep = "error: operation failed: Migration is disabled when VirtFS export path '/srv' is mounted in the guest using mount_tag 'vm-folder-0'\n"
      expect(saveRefusalError('web', ninep)?.message).to.contain('live folder')
    })

    it("passes libvirt's reason on for other migration blockers", () => {
      // The captured refusal's wording, with another device in it.
      const error = saveRefusalError('web', VIRTIOFS_REFUSAL('d').replace('0000:00:01.0:00.0/vhost-user-fs', '0000:00:02.0/vfio'))
      expect(error?.message).to.equal('web cannot be suspended: libvirt cannot save its memory (non-migratable device: 0000:00:02.0/vfio).')
      expect(error?.hint).to.equal('Halt it instead with `vm halt web`; `vm up web` boots it again.')
    })

    it('is undefined for failures that are not refusals', () => {
      expect(saveRefusalError('web', "error: Failed to save domain 'd' state\nerror: Requested operation is not valid: domain is not running\n")).to.equal(undefined)
      expect(saveRefusalError('web', '')).to.equal(undefined)
    })
  })

  describe('resumeMachines', () => {
    it('restores suspended machines and resumes paused ones', async () => {
      const {fake, services, project, lines} = setup()
      const web = fake.add('web', {state: 'shut off', saved: true})
      const db = fake.add('db', {state: 'paused', saved: false})
      fake.add('cache', {state: 'running', saved: false})
      await resumeMachines(services, project, [machine('web'), machine('db'), machine('cache')])
      expect(settled(lines)).to.deep.equal(['cache: already running.', 'db: resumed (N s)', 'web: resumed (N s)'])
      expect(fake.changes.sort()).to.deep.equal([`resume ${db}`, `start ${web}`].sort())
      expect(fake.domains.get(web)).to.include({state: 'running', saved: false})
    })

    it('lets an image saved paused (plain virsh managedsave) run after the restore', async () => {
      const {fake, services, project, lines} = setup()
      const web = fake.add('web', {state: 'shut off', saved: true, savedPaused: true})
      await resumeMachines(services, project, [machine('web')])
      expect(fake.changes).to.deep.equal([`start ${web}`, `resume ${web}`])
      expect(settled(lines)).to.deep.equal(['web: resumed (N s)'])
    })

    it('does not boot a halted machine: names `vm up` instead', async () => {
      const {fake, services, project} = setup()
      fake.add('web', {state: 'shut off', saved: false})
      const error = await rejectedVmError(resumeMachines(services, project, [machine('web')]))
      expect(error.code).to.equal('MACHINE_NOT_SUSPENDED')
      expect(error.message).to.equal('web is halted, not suspended: there is no saved memory to resume.')
      expect(error.hint).to.equal('Boot it with `vm up web`.')
      expect(fake.changes).to.deep.equal([])
    })

    it('names `vm up` for a machine that is not created', async () => {
      const {services, project} = setup()
      const error = await rejectedVmError(resumeMachines(services, project, [machine('web')]))
      expect(error.code).to.equal('MACHINE_NOT_CREATED')
      expect(error.hint).to.equal('Run `vm up web`.')
    })

    it('turns a forwarded port taken while suspended into the port error', async () => {
      const {fake, services, project} = setup()
      const web = fake.add('web', {
        state: 'shut off',
        saved: true,
        startFailure: `error: Failed to start domain '${domainName(DIR, 'web')}'\nerror: internal error: qemu unexpectedly closed the monitor: qemu-system-x86_64: -netdev user,id=vmfwd,hostfwd=tcp:127.0.0.1:18080-:80: Could not set up host forwarding rule 'tcp:127.0.0.1:18080-:80'\n`,
      })
      const error = await rejectedVmError(resumeMachines(services, project, [machine('web')]))
      expect(error.code).to.equal('PORT_IN_USE')
      expect(error.message).to.contain('127.0.0.1:18080/tcp of machine web')
      expect(fake.domains.get(web)).to.include({saved: true})
    })

    it('offers to discard the saved memory when libvirt cannot restore it', async () => {
      const {fake, services, project} = setup()
      const web = fake.add('web', {state: 'shut off', saved: true, startFailure: "error: Failed to start domain 'x'\nerror: operation failed: failed to read qemu header\n"})
      const error = await rejectedVmError(resumeMachines(services, project, [machine('web')]))
      expect(error.code).to.equal('RESUME_FAILED')
      expect(error.detail).to.contain('failed to read qemu header')
      expect(error.hint).to.equal(`To give up the saved memory and boot afresh: \`virsh -c qemu:///system managedsave-remove ${web}\`, then \`vm up web\`.`)
    })
  })
})
