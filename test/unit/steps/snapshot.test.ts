import {expect} from 'chai'

import {CommandFailedError, type CommandResult, type Runner} from '../../../src/exec/runner.js'
import {domainName} from '../../../src/machine/names.js'
import {projectOf, type Project} from '../../../src/machine/project.js'
import {createServices, type Services} from '../../../src/services.js'
import {
  deleteSnapshot,
  listSnapshots,
  resolveSnapshotTarget,
  restoreSnapshot,
  saveSnapshot,
  snapshotNameProblem,
  waitForPort,
  type RestoreOptions,
} from '../../../src/steps/snapshot.js'
import type {MachineConfig} from '../../../src/vmfile/types.js'
import {ownedDomainXml, rejectedVmError, thrownVmError} from '../fixture.js'

const URI = 'qemu:///system'
const DIR = '/home/ana/shop'

function machine(name: string): MachineConfig {
  return {name, box: {kind: 'catalog', name: 'debian-12'}, cpus: 1, memoryBytes: 2 ** 30, diskBytes: 10 * 2 ** 30, accelerator: 'tcg', folders: [], ports: [], provisioners: []}
}

function project(...names: string[]): Project {
  return projectOf({path: `${DIR}/Vmfile`, projectDir: DIR, machines: names.map(machine)})
}

type Snapshot = {name: string; state: string; createdAt: number; description?: string; parent?: string}
type Domain = {
  state: string
  managedSave: boolean
  snapshots: Snapshot[]
  current?: string
  /** Whether the domain has a virtiofs folder: QEMU cannot save its memory then. */
  virtiofs: boolean
  mac: string
  lease?: string
}

/**
 * libvirt 9.0's snapshot behaviour behind virsh's command line, in memory, as measured on real
 * libvirt: revert leaves the domain in the snapshot's state and keeps a managed-save image; a
 * running domain with virtiofs cannot save its memory. The code under test goes through the real
 * Virsh class; any command the fake does not know fails the test.
 */
class FakeLibvirt implements Runner {
  readonly domains = new Map<string, Domain>()
  /** Every command as "verb args...", without `virsh -c URI`. */
  readonly calls: string[] = []
  /** stderr for the next snapshot-revert, which then fails leaving the domain shut off. */
  revertFailure?: string
  private clock = 1_796_126_000

  add(machine: string, domain: Partial<Domain> = {}): Domain {
    const mac = `52:54:00:12:34:${String(this.domains.size + 10)}`
    const entry = {state: 'running', managedSave: false, snapshots: [], virtiofs: false, mac, lease: '192.168.122.45', ...domain}
    this.domains.set(domainName(DIR, machine), entry)
    return entry
  }

  get changes(): string[] {
    return this.calls.filter((call) => /^(snapshot-create-as|snapshot-revert|snapshot-delete|managedsave-remove)\b/.test(call))
  }

  async run(file: string, args: readonly string[]): Promise<CommandResult> {
    if (file !== 'virsh' || args[0] !== '-c' || args[1] !== URI) throw new Error(`unexpected command: ${file} ${args.join(' ')}`)
    const rest = args.slice(2)
    this.calls.push(rest.join(' '))
    const argv = [file, ...args]
    if (rest[0] === 'net-dhcp-leases') {
      const owner = [...this.domains.values()].find((d) => d.mac === rest.at(-1))
      return ok(leases(owner?.mac ?? '', owner?.lease))
    }
    const option = (name: string) => {
      const at = rest.indexOf(name)
      return at === -1 ? undefined : rest[at + 1]
    }
    const name = option('--domain') ?? rest.at(-1) ?? ''
    const domain = this.domains.get(name)
    if (!domain) fail(argv, `error: failed to get domain '${name}'\n`)
    const snapshotName = option('--snapshotname')
    const snapshot = domain.snapshots.find((s) => s.name === snapshotName)
    const missingSnapshot = () => fail(argv, `error: Domain snapshot not found: no domain snapshot with matching name '${snapshotName}'\n`)
    switch (rest[0]) {
      case 'domstate':
        return ok(`${domain.state === 'shutoff' ? 'shut off' : domain.state.replace('_', ' ')}\n\n`)
      case 'dumpxml':
        return ok(domainXml(name, domain.mac))
      case 'dominfo':
        return ok(`Name:           ${name}\nState:          ${domain.state}\nManaged save:   ${domain.managedSave ? 'yes' : 'no'}\n\n`)
      case 'managedsave-remove':
        domain.managedSave = false
        return ok(`Removed managedsave image for domain '${name}'\n`)
      case 'snapshot-list':
        return ok(domain.snapshots.map((s) => `${s.name}\n`).join('') + '\n')
      case 'snapshot-current':
        if (!domain.current) fail(argv, `error: domain '${name}' has no current snapshot\n`)
        return ok(`${domain.current}\n`)
      case 'snapshot-dumpxml':
        if (!snapshot) return missingSnapshot()
        return ok(snapshotXml(snapshot))
      case 'snapshot-create-as': {
        const newName = option('--name')!
        if (domain.snapshots.some((s) => s.name === newName)) fail(argv, `error: operation failed: domain moment ${newName} already exists\n`)
        if (domain.virtiofs && domain.state !== 'shutoff') {
          fail(argv, 'error: Requested operation is not valid: cannot migrate domain: non-migratable device: 0000:00:01.0:00.0/vhost-user-fs\n')
        }
        const description = option('--description')
        domain.snapshots.push({name: newName, state: domain.state, createdAt: this.clock++, ...(description ? {description} : {}), ...(domain.current ? {parent: domain.current} : {})})
        domain.current = newName
        return ok(`Domain snapshot ${newName} created\n`)
      }
      case 'snapshot-revert':
        if (!snapshot) return missingSnapshot()
        if (this.revertFailure) {
          domain.state = 'shutoff'
          fail(argv, this.revertFailure)
        }
        domain.state = snapshot.state
        domain.current = snapshot.name
        return ok(`Domain snapshot ${snapshot.name} reverted\n\n`)
      case 'snapshot-delete':
        if (!snapshot) return missingSnapshot()
        domain.snapshots = domain.snapshots.filter((s) => s !== snapshot)
        if (domain.current === snapshot.name) domain.current = undefined
        return ok(`Domain snapshot ${snapshot.name} deleted\n\n`)
      default:
        throw new Error(`unexpected virsh command: ${rest.join(' ')}`)
    }
  }
}

function ok(stdout: string): CommandResult {
  return {stdout, stderr: '', exitCode: 0}
}

function fail(argv: string[], stderr: string): never {
  throw new CommandFailedError(argv, {stdout: '', stderr, exitCode: 1})
}

function domainXml(name: string, mac: string): string {
  return ownedDomainXml({name, machine: name.split('-')[1]!, projectDir: DIR, mac})
}

function leases(mac: string, ip: string | undefined): string {
  const header = ' Expiry Time           MAC address         Protocol   IP address           Hostname   Client ID or DUID\n' + '-'.repeat(100) + '\n'
  return header + (ip ? ` 2026-12-01 12:55:20   ${mac}   ipv4       ${ip}/24    web        ff:00:12:34:56\n` : '') + '\n'
}

function snapshotXml(s: Snapshot): string {
  const memory = s.state === 'shutoff' ? 'no' : 'internal'
  return [
    '<domainsnapshot>',
    `  <name>${s.name}</name>`,
    ...(s.description ? [`  <description>${s.description}</description>`] : []),
    `  <state>${s.state}</state>`,
    ...(s.parent ? [`  <parent>\n    <name>${s.parent}</name>\n  </parent>`] : []),
    `  <creationTime>${s.createdAt}</creationTime>`,
    `  <memory snapshot='${memory}'/>`,
    "  <disks>\n    <disk name='vda' snapshot='internal'/>\n    <disk name='sda' snapshot='no'/>\n  </disks>",
    '</domainsnapshot>',
    '',
  ].join('\n')
}

type Printed = {info: string[]; warn: string[]}

function services(fake: FakeLibvirt): {services: Services; printed: Printed} {
  const printed: Printed = {info: [], warn: []}
  const out = {info: (line: string) => printed.info.push(line.replace(/\(\d+\.\d s\)/, '(N s)')), warn: (line: string) => printed.warn.push(line)}
  return {services: createServices({out, signal: new AbortController().signal, verbose: false, env: {VM_HOME: '/nonexistent/vm-home'}, runner: fake}), printed}
}

/** A probe that answers after FAILURES refusals, counting the calls. */
function probeAfter(failures: number): RestoreOptions['probe'] & {calls: string[]} {
  const calls: string[] = []
  return Object.assign(
    async (host: string, port: number) => {
      calls.push(`${host}:${port}`)
      return calls.length > failures
    },
    {calls},
  )
}

describe('steps/snapshot', () => {
  const web = machine('web')
  const shop = project('web')

  describe('snapshotNameProblem', () => {
    for (const name of ['before-upgrade', 'v1.2_rc', '2', '.hidden', 'A'.repeat(64)]) {
      it(`accepts ${JSON.stringify(name)}`, () => {
        expect(snapshotNameProblem(name)).to.equal(undefined)
      })
    }
    const bad: Array<[string, string]> = [
      ['', 'it is empty'],
      ['-rf', 'it starts with "-"'],
      ['bad name', 'use only letters, digits, ".", "_" and "-"'],
      ['a/b', 'use only letters, digits, ".", "_" and "-"'],
      ['été', 'use only letters, digits, ".", "_" and "-"'],
      ['A'.repeat(65), 'it is longer than 64 characters'],
    ]
    for (const [name, problem] of bad) {
      it(`refuses ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…` : name)}: ${problem}`, () => {
        expect(snapshotNameProblem(name)).to.equal(problem)
      })
    }
  })

  describe('resolveSnapshotTarget', () => {
    it('one word in a one-machine project is the snapshot of that machine', () => {
      expect(resolveSnapshotTarget(shop, 'save', 'before', undefined)).to.deep.equal({machine: web, name: 'before'})
    })

    it('two words are machine and snapshot', () => {
      const two = project('web', 'db')
      expect(resolveSnapshotTarget(two, 'restore', 'db', 'before')).to.deep.equal({machine: machine('db'), name: 'before'})
    })

    it('one word in a project of several machines: which machine? (exit 2)', () => {
      const error = thrownVmError(() => resolveSnapshotTarget(project('web', 'db'), 'save', 'before', undefined))
      expect(error.code).to.equal('MACHINE_AMBIGUOUS')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.equal('This project has 2 machines; say which one: `vm snapshot save MACHINE NAME`.')
      expect(error.hint).to.equal('One of: web, db.')
    })

    it('a lone machine name in a project of several machines: the snapshot name is missing', () => {
      const error = thrownVmError(() => resolveSnapshotTarget(project('web', 'db'), 'restore', 'db', undefined))
      expect(error.message).to.equal("Say the snapshot's name: `vm snapshot restore db NAME`.")
      expect(error.hint).to.equal('See them with `vm snapshot list db`.')
      expect(error.exitCode).to.equal(2)
    })

    it('no words at all', () => {
      const error = thrownVmError(() => resolveSnapshotTarget(shop, 'delete', undefined, undefined))
      expect(error.message).to.equal('Say which snapshot to delete: `vm snapshot delete [MACHINE] NAME`.')
      expect(error.exitCode).to.equal(2)
    })

    it('an unknown machine lists the known ones', () => {
      const error = thrownVmError(() => resolveSnapshotTarget(shop, 'save', 'wbe', 'before'))
      expect(error.code).to.equal('MACHINE_NOT_FOUND')
      expect(error.hint).to.equal('Machines here: web.')
    })
  })

  describe('saveSnapshot', () => {
    it('a running machine: disk and memory, with the description, atomically', async () => {
      const fake = new FakeLibvirt()
      fake.add('web')
      const {services: s, printed} = services(fake)
      await saveSnapshot(s, shop, web, 'before-upgrade', {description: '-x <nginx> & co'})
      const domain = domainName(DIR, 'web')
      expect(fake.changes).to.deep.equal([`snapshot-create-as --domain ${domain} --name before-upgrade --description -x <nginx> & co --atomic`])
      expect(printed.info).to.deep.equal(['web: saved snapshot before-upgrade (disk and memory, running) (N s)'])
    })

    it('a shut-off machine: disk only', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {state: 'shutoff'})
      const {services: s, printed} = services(fake)
      await saveSnapshot(s, shop, web, 'cold')
      expect(printed.info).to.deep.equal(['web: saved snapshot cold (disk only, shut off) (N s)'])
      expect(fake.domains.get(domainName(DIR, 'web'))!.snapshots.map((x) => x.state)).to.deep.equal(['shutoff'])
    })

    it('an invalid name is a usage error before libvirt is asked anything', async () => {
      const fake = new FakeLibvirt()
      fake.add('web')
      const error = await rejectedVmError(saveSnapshot(services(fake).services, shop, web, '-rf'))
      expect(error.code).to.equal('SNAPSHOT_NAME_INVALID')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.equal('"-rf" cannot name a snapshot: it starts with "-".')
      expect(fake.calls).to.deep.equal([])
    })

    it('a machine not created names vm up', async () => {
      const error = await rejectedVmError(saveSnapshot(services(new FakeLibvirt()).services, shop, web, 'before'))
      expect(error.code).to.equal('MACHINE_NOT_CREATED')
      expect(error.message).to.equal('web is not created: there is nothing to snapshot.')
      expect(error.hint).to.equal('Create it with `vm up web` first.')
    })

    it('a taken name lists the snapshots there and creates nothing', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {snapshots: [{name: 'a', state: 'running', createdAt: 1}, {name: 'before', state: 'running', createdAt: 2}]})
      const error = await rejectedVmError(saveSnapshot(services(fake).services, shop, web, 'before'))
      expect(error.code).to.equal('SNAPSHOT_EXISTS')
      expect(error.detail).to.equal('  Snapshots of web: a, before')
      expect(error.hint).to.equal('Pick another name, or replace it: `vm snapshot delete web before`, then save again.')
      expect(fake.changes).to.deep.equal([])
    })

    it('a suspended machine: resume first, since its memory is in the managed-save image', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {state: 'shutoff', managedSave: true})
      const error = await rejectedVmError(saveSnapshot(services(fake).services, shop, web, 'before'))
      expect(error.code).to.equal('SNAPSHOT_SUSPENDED')
      expect(error.hint).to.equal('Run `vm resume web`, then `vm snapshot save web before` again.')
      expect(fake.changes).to.deep.equal([])
    })

    it('a running machine with a virtiofs folder: halt it first', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {virtiofs: true})
      const error = await rejectedVmError(saveSnapshot(services(fake).services, shop, web, 'before'))
      expect(error.code).to.equal('SNAPSHOT_UNSUPPORTED')
      expect(error.message).to.equal('web cannot be snapshotted while it runs: it has a live folder (virtiofs), whose state QEMU cannot save with the memory.')
      expect(error.hint).to.equal('Halt it first with `vm halt web`, then `vm snapshot save web before` (a shut-off snapshot holds the disk); `vm up web` boots it again.')
    })

    it('a machine shutting down: wait, or halt', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {state: 'in_shutdown'})
      const error = await rejectedVmError(saveSnapshot(services(fake).services, shop, web, 'before'))
      expect(error.code).to.equal('SNAPSHOT_BAD_STATE')
      expect(error.message).to.equal('web is in shutdown; vm snapshots a machine that is running, paused or shut off.')
    })
  })

  describe('restoreSnapshot', () => {
    it('a running snapshot comes back running; waits for the SSH port of its address', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {state: 'shutoff', snapshots: [{name: 'before', state: 'running', createdAt: 1}]})
      const {services: s, printed} = services(fake)
      const probe = probeAfter(2)
      await restoreSnapshot(s, shop, web, 'before', {probe})
      expect(fake.changes).to.deep.equal([`snapshot-revert --domain ${domainName(DIR, 'web')} --snapshotname before`])
      expect(probe.calls).to.deep.equal(['192.168.122.45:22', '192.168.122.45:22', '192.168.122.45:22'])
      expect(printed.info).to.deep.equal(['web: restored snapshot before; running (N s)', 'web: SSH port answers (N s)'])
      expect(printed.warn).to.deep.equal([])
    })

    it('a shut-off snapshot leaves the machine shut off and probes nothing', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {snapshots: [{name: 'cold', state: 'shutoff', createdAt: 1}]})
      const {services: s, printed} = services(fake)
      const probe = probeAfter(0)
      await restoreSnapshot(s, shop, web, 'cold', {probe})
      expect(fake.domains.get(domainName(DIR, 'web'))!.state).to.equal('shutoff')
      expect(printed.info).to.deep.equal(['web: restored snapshot cold; shut off (N s)'])
      expect(probe.calls).to.deep.equal([])
    })

    it('a suspended machine: its managed-save image is removed before the revert, never left to load over the restored disk', async () => {
      const fake = new FakeLibvirt()
      const domain = fake.add('web', {state: 'shutoff', managedSave: true, snapshots: [{name: 'before', state: 'running', createdAt: 1}]})
      const {services: s, printed} = services(fake)
      await restoreSnapshot(s, shop, web, 'before', {probe: probeAfter(0)})
      const name = domainName(DIR, 'web')
      expect(fake.changes).to.deep.equal([`managedsave-remove ${name}`, `snapshot-revert --domain ${name} --snapshotname before`])
      expect(domain.managedSave).to.equal(false)
      expect(printed.info[0]).to.equal('web: discarded the memory `vm suspend` saved: it belongs to the state being replaced')
    })

    it('running without a DHCP lease: says why vm ssh cannot find it, and how to get there now', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {state: 'shutoff', lease: undefined, snapshots: [{name: 'before', state: 'running', createdAt: 1}]})
      const {services: s, printed} = services(fake)
      const probe = probeAfter(0)
      await restoreSnapshot(s, shop, web, 'before', {probe})
      expect(probe.calls).to.deep.equal([])
      expect(printed.warn).to.have.length(1)
      expect(printed.warn[0]).to.match(/^web: runs, but libvirt has no DHCP lease for it, so `vm ssh` cannot find it yet: /)
      expect(printed.warn[0]).to.contain('`vm halt web` and `vm up web`')
    })

    it('an SSH port that never answers is a warning, not a failure', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {snapshots: [{name: 'booting', state: 'running', createdAt: 1}]})
      const {services: s, printed} = services(fake)
      await restoreSnapshot(s, shop, web, 'booting', {probe: probeAfter(1000), sshWaitMs: 300})
      expect(printed.warn).to.deep.equal(['web: nothing answered on 192.168.122.45:22 within 0 s; if the snapshot was taken while it booted, it is booting again (`vm up web` waits for it).'])
    })

    it('an unknown snapshot lists the ones there; none at all names vm snapshot save', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {snapshots: [{name: 'a', state: 'running', createdAt: 1}]})
      const some = await rejectedVmError(restoreSnapshot(services(fake).services, shop, web, 'b'))
      expect(some.code).to.equal('SNAPSHOT_NOT_FOUND')
      expect(some.message).to.equal('web has no snapshot named b.')
      expect(some.detail).to.equal('  Snapshots of web: a')
      fake.add('web')
      const none = await rejectedVmError(restoreSnapshot(services(fake).services, shop, web, 'b'))
      expect(none.detail).to.equal(undefined)
      expect(none.hint).to.equal('It has none yet; `vm snapshot save web NAME` takes one.')
      expect(fake.changes).to.deep.equal([])
    })

    it('a forwarded port another program took: names the port and the command to retry', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {state: 'shutoff', snapshots: [{name: 'before', state: 'running', createdAt: 1}]})
      // As virsh 9.0 printed it with 127.0.0.1:18080 held by another program.
      fake.revertFailure =
        'error: Failed to revert snapshot before\nerror: internal error: qemu unexpectedly closed the monitor: 2026-12-01T11:57:50.922539Z qemu-system-x86_64: ' +
        "-netdev user,id=vmfwd,restrict=on,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:18080-:22: Could not set up host forwarding rule 'tcp:127.0.0.1:18080-:22'\n"
      const error = await rejectedVmError(restoreSnapshot(services(fake).services, shop, web, 'before'))
      expect(error.code).to.equal('PORT_IN_USE')
      expect(error.message).to.equal('QEMU could not bind forwarded port 127.0.0.1:18080/tcp of machine web while restoring snapshot before; the machine is left shut off.')
      expect(error.hint).to.equal("See what holds it: ss -ltnp 'sport = :18080'; stop that program, then run `vm snapshot restore web before` again.")
    })
  })

  describe('listSnapshots', () => {
    it('oldest first per machine, the current one marked; machines not created or without snapshots add nothing', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {
        current: 'b',
        snapshots: [
          {name: 'b', state: 'shutoff', createdAt: 1_796_126_009, parent: 'a', description: 'halted'},
          {name: 'a', state: 'running', createdAt: 1_796_125_957},
        ],
      })
      fake.add('db', {snapshots: []})
      const three = project('web', 'db', 'cache')
      const entries = await listSnapshots(services(fake).services, three, three.vmfile.machines)
      expect(entries).to.deep.equal([
        {machine: 'web', name: 'a', createdAt: '2026-12-01T11:52:37.000Z', state: 'running', description: null, parent: null, current: false},
        {machine: 'web', name: 'b', createdAt: '2026-12-01T11:53:29.000Z', state: 'shutoff', description: 'halted', parent: 'a', current: true},
      ])
      // No current-snapshot question for a machine without snapshots.
      expect(fake.calls.filter((c) => c.startsWith('snapshot-current'))).to.have.length(1)
    })

    it('a domain without a current snapshot marks none', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {snapshots: [{name: 'a', state: 'running', createdAt: 1_796_125_957}]})
      const entries = await listSnapshots(services(fake).services, shop, [web])
      expect(entries.map((e) => e.current)).to.deep.equal([false])
    })
  })

  describe('deleteSnapshot', () => {
    it('deletes the named snapshot and nothing else', async () => {
      const fake = new FakeLibvirt()
      const domain = fake.add('web', {snapshots: [{name: 'a', state: 'running', createdAt: 1}, {name: 'b', state: 'running', createdAt: 2}]})
      const {services: s, printed} = services(fake)
      await deleteSnapshot(s, shop, web, 'a')
      expect(fake.changes).to.deep.equal([`snapshot-delete --domain ${domainName(DIR, 'web')} --snapshotname a`])
      expect(domain.snapshots.map((x) => x.name)).to.deep.equal(['b'])
      expect(printed.info).to.deep.equal(['web: deleted snapshot a (N s)'])
    })

    it('an unknown name deletes nothing', async () => {
      const fake = new FakeLibvirt()
      fake.add('web', {snapshots: [{name: 'a', state: 'running', createdAt: 1}]})
      const error = await rejectedVmError(deleteSnapshot(services(fake).services, shop, web, 'A'))
      expect(error.code).to.equal('SNAPSHOT_NOT_FOUND')
      expect(fake.changes).to.deep.equal([])
    })
  })

  describe('waitForPort', () => {
    it('gives up at the deadline', async () => {
      const started = Date.now()
      expect(await waitForPort(async () => false, '10.0.0.1', 22, 200, new AbortController().signal)).to.equal(false)
      expect(Date.now() - started).to.be.within(150, 1000)
    })

    it('stops at once when aborted', async () => {
      const controller = new AbortController()
      controller.abort(new Error('stop'))
      let message = ''
      await waitForPort(async () => false, '10.0.0.1', 22, 10_000, controller.signal).catch((error: Error) => {
        message = error.message
      })
      expect(message).to.equal('stop')
    })
  })
})
