import {spawnSync} from 'node:child_process'

import {expect} from 'chai'

import {CommandFailedError} from '../../../src/exec/runner.js'
import type {Runner} from '../../../src/exec/runner.js'
import {Virsh} from '../../../src/libvirt/virsh.js'
import {
  parseProvisionRecord,
  PROVISION_KEY,
  PROVISION_NS,
  renderProvisionRecord,
  writeProvisionRecord,
  type ProvisionRecord,
} from '../../../src/provision/record.js'
import {shellQuote} from '../../../src/exec/shell-quote.js'
import {rejection} from './helpers.js'

const AT = '2025-03-04T05:06:07.890Z'

const RECORDS: ProvisionRecord[] = [
  {state: 'running', at: AT},
  {state: 'done', at: AT},
  {state: 'failed', at: AT, failed: 'shell #2 (setup.sh)', status: 3},
  {state: 'failed', at: AT, failed: `file #1 (<"it's" & more>)`},
]

/** A domain as `virsh dumpxml` prints it, with METADATA inside <metadata>. */
function domainWith(metadata: string): string {
  return `<domain type='kvm' id='3'>
  <name>shop-web-1a2b3c4d</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <metadata>
    <vm:machine xmlns:vm="https://vmfile.dev/xmlns/machine/1">
      <vm:project>/home/ana/shop</vm:project>
      <vm:name>web</vm:name>
    </vm:machine>
    ${metadata}
  </metadata>
  <memory unit='KiB'>1048576</memory>
</domain>
`
}

/** What libvirt stores for `--key vmprov --set ELEMENT`: our element, in our namespace, under the key's prefix. */
function asLibvirtStoresIt(element: string): string {
  return element.replace('<provision ', `<vmprov:provision xmlns:vmprov="${PROVISION_NS}" `)
}

const HAS_VIRSH = spawnSync('virsh', ['--version']).status === 0

/**
 * Runs virsh commands in ONE virsh process against libvirt's test driver (test:///default): a
 * mock hypervisor inside virsh itself, with a running persistent domain named "test". No daemon,
 * no VM; its state lives only as long as that process.
 */
function virshTestDriver(commands: string[][]): {status: number | null; stdout: string; stderr: string} {
  const result = spawnSync('virsh', ['-c', 'test:///default', commands.map((argv) => shellQuote(argv)).join(' ; ')])
  return {status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString()}
}

/** A Virsh whose run() answers from a list: a string is stdout, an Error is thrown. */
/** The virsh argv (after `-c URI`) that writes RECORD: what libvirt's test driver is given below. */
function provisionRecordArgs(domain: string, record: ProvisionRecord, live: boolean): string[] {
  return ['metadata', domain, PROVISION_NS, '--key', PROVISION_KEY, '--set', renderProvisionRecord(record), ...(live ? ['--live'] : []), '--config']
}

/** The real Virsh on a runner that answers in turn and records each virsh argv after `-c URI`. */
function fakeVirsh(answers: Array<string | Error>): {virsh: Virsh; calls: string[][]} {
  const calls: string[][] = []
  const runner = {
    run: async (_command: string, argv: readonly string[]) => {
      const args = argv.slice(2)
      calls.push([...args])
      const answer = answers.shift()
      if (answer === undefined) throw new Error(`unexpected virsh ${args.join(' ')}`)
      if (answer instanceof Error) throw answer
      return {stdout: answer, stderr: '', exitCode: 0}
    },
  } as unknown as Runner
  return {virsh: new Virsh(runner, 'test:///default'), calls}
}

function virshFailure(stderr: string): CommandFailedError {
  return new CommandFailedError(['virsh'], {stdout: '', stderr, exitCode: 1})
}

describe('provision/record', () => {
  describe('renderProvisionRecord', () => {
    it('renders one element without a namespace (libvirt puts it in ours)', () => {
      expect(renderProvisionRecord({state: 'done', at: AT})).to.equal(`<provision state="done" at="${AT}"/>`)
      expect(renderProvisionRecord({state: 'failed', at: AT, failed: 'shell #2 (setup.sh)', status: 3})).to.equal(
        `<provision state="failed" at="${AT}" failed="shell #2 (setup.sh)" status="3"/>`,
      )
    })

    it('escapes the label', () => {
      expect(renderProvisionRecord({state: 'failed', at: AT, failed: `a"b'c<d>&e`})).to.equal(
        `<provision state="failed" at="${AT}" failed="a&quot;b&apos;c&lt;d&gt;&amp;e"/>`,
      )
    })

    it('writes a newline in a label as the space XML would read it as', () => {
      expect(parseProvisionRecord(domainWith(asLibvirtStoresIt(renderProvisionRecord({state: 'failed', at: AT, failed: 'a\nb'}))))).to.deep.equal({
        state: 'failed',
        at: AT,
        failed: 'a b',
      })
    })
  })

  describe('parseProvisionRecord', () => {
    it('round-trips every kind of record as libvirt stores it', () => {
      for (const record of RECORDS) expect(parseProvisionRecord(domainWith(asLibvirtStoresIt(renderProvisionRecord(record))))).to.deep.equal(record)
    })

    it('finds the element by namespace whatever its prefix, or as the default namespace', () => {
      const expected = {state: 'done', at: AT}
      expect(parseProvisionRecord(domainWith(`<p:provision xmlns:p="${PROVISION_NS}" xmlns:vmprov="${PROVISION_NS}" state="done" at="${AT}"/>`))).to.deep.equal(expected)
      expect(parseProvisionRecord(domainWith(`<provision xmlns="${PROVISION_NS}" xmlns:vmprov="${PROVISION_NS}" state="done" at="${AT}"/>`))).to.deep.equal(expected)
    })

    it('ignores a provision element of another namespace, and a domain without a record', () => {
      expect(parseProvisionRecord(domainWith(`<vmprov:provision xmlns:vmprov="https://example.com/other" state="done" at="${AT}"/>`))).to.equal(undefined)
      expect(parseProvisionRecord(domainWith(`<provision state="done" at="${AT}"/>`))).to.equal(undefined)
      expect(parseProvisionRecord(domainWith(''))).to.equal(undefined)
      expect(parseProvisionRecord(`<domain type='kvm'><name>x</name></domain>`)).to.equal(undefined)
    })

    it('treats a record it does not understand as none', () => {
      const ns = `xmlns:vmprov="${PROVISION_NS}"`
      expect(parseProvisionRecord(domainWith(`<vmprov:provision ${ns} state="weird" at="${AT}"/>`))).to.equal(undefined)
      expect(parseProvisionRecord(domainWith(`<vmprov:provision ${ns} state="done"/>`))).to.equal(undefined)
      expect(parseProvisionRecord(domainWith(`<vmprov:provision ${ns} state="failed" at="${AT}" failed="x" status="-1"/>`))).to.deep.equal({
        state: 'failed',
        at: AT,
        failed: 'x',
      })
    })
  })

  describe('writeProvisionRecord', () => {
    const record: ProvisionRecord = {state: 'running', at: AT}

    it('sets live and config state in one call on a running domain', async () => {
      const {virsh, calls} = fakeVirsh(['Metadata modified\n'])
      await writeProvisionRecord(virsh, 'd', record)
      expect(calls).to.deep.equal([provisionRecordArgs('d', record, true)])
    })

    it('sets the config only when libvirt says the domain is not running', async () => {
      const {virsh, calls} = fakeVirsh([virshFailure('error: Requested operation is not valid: domain is not running\n'), 'Metadata modified\n'])
      await writeProvisionRecord(virsh, 'd', record)
      expect(calls).to.deep.equal([provisionRecordArgs('d', record, true), provisionRecordArgs('d', record, false)])
    })

    it('lets other failures through', async () => {
      const failure = virshFailure("error: failed to get domain 'd'\n")
      const {virsh, calls} = fakeVirsh([failure])
      expect(await rejection(writeProvisionRecord(virsh, 'd', record))).to.equal(failure)
      expect(calls).to.have.length(1)
    })
  })

  describe("against libvirt's test driver (in-process mock, no daemon)", () => {
    before(function () {
      if (!HAS_VIRSH) this.skip()
    })

    it('libvirt accepts our arguments, replaces an earlier record, and we read back what it stores live and in the config', () => {
      for (const record of RECORDS) {
        const result = virshTestDriver([
          provisionRecordArgs('test', {state: 'running', at: AT}, true),
          provisionRecordArgs('test', record, true),
          ['dumpxml', 'test'],
          ['echo', '--', '=====CONFIG====='],
          ['dumpxml', '--inactive', 'test'],
        ])
        expect(result.status, result.stderr).to.equal(0)
        const [live, config] = result.stdout.split('=====CONFIG=====')
        expect(live!.match(/<[\w:]*provision\b/g), 'one record, the old one replaced').to.have.length(1)
        expect(parseProvisionRecord(live!.slice(live!.indexOf('<domain')))).to.deep.equal(record)
        expect(parseProvisionRecord(config!.slice(config!.indexOf('<domain')))).to.deep.equal(record)
      }
    })

    it('libvirt refuses --live on a shut-off domain with the message we fall back on, and takes --config alone', () => {
      const record: ProvisionRecord = {state: 'done', at: AT}
      const refused = virshTestDriver([['destroy', 'test'], provisionRecordArgs('test', record, true)])
      expect(refused.stderr).to.match(/domain is not running/)
      const accepted = virshTestDriver([['destroy', 'test'], provisionRecordArgs('test', record, false), ['dumpxml', '--inactive', 'test']])
      expect(accepted.status, accepted.stderr).to.equal(0)
      expect(parseProvisionRecord(accepted.stdout.slice(accepted.stdout.indexOf('<domain')))).to.deep.equal(record)
    })

    it('--config alone on a running domain does not show in its live XML (why we set both)', () => {
      const result = virshTestDriver([provisionRecordArgs('test', {state: 'done', at: AT}, false), ['dumpxml', 'test']])
      expect(result.status, result.stderr).to.equal(0)
      expect(parseProvisionRecord(result.stdout.slice(result.stdout.indexOf('<domain')))).to.equal(undefined)
    })
  })
})
