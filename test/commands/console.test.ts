import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'
import {execa} from 'execa'

import {shellQuote} from '../../src/exec/shell-quote.js'
import {domainName} from '../../src/machine/names.js'
import {type Call, DEFAULT_MAC, domainXml, FAKE_BIN, ROOT, useProject, type Project, VIRSH, virsh, vm} from './helpers.js'

const VMFILE = 'box: debian-12\nmachines:\n  alpha: {}\n  beta: {}\n'

const dominfo = (saved: boolean) => `Id:             -\nState:          shut off\nPersistent:     yes\nManaged save:   ${saved ? 'yes' : 'no'}\n\n`

/**
 * Runs `vm ARGS` with a pseudo-terminal as its stdin and stdout (util-linux `script`), as a user
 * at a terminal would; the fakes answer CALLS. Output is what the terminal showed (CR LF lines).
 */
async function vmInTerminal(project: Project, args: string[], calls: Call[]): Promise<{output: string; exitCode: number; calls: string[][]}> {
  const scenario = join(project.root, `scenario-tty-${Date.now()}.json`)
  const log = `${scenario}.log`
  await writeFile(scenario, JSON.stringify({log, calls}))
  const result = await execa('script', ['--quiet', '--return', '--command', shellQuote(['node', join(ROOT, 'bin/run.js'), ...args]), '/dev/null'], {
    cwd: project.dir,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    extendEnv: false,
    env: {PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: project.home, VM_HOME: project.home, VM_FAKE_SCENARIO: scenario, TERM: 'dumb'},
  })
  const text = await readFile(log, 'utf8').catch(() => '')
  return {
    output: String(result.stdout).replaceAll('\r\n', '\n'),
    exitCode: result.exitCode ?? -1,
    calls: text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as {argv: string[]}).argv),
  }
}

describe('vm console', () => {
  const current = useProject(VMFILE)
  let project: Project
  let alpha: string
  beforeEach(() => {
    project = current()
    alpha = domainName(project.dir, 'alpha')
  })

  const alphaRunning = () => [
    {argv: virsh('domstate', alpha), stdout: 'running\n\n'},
    {argv: virsh('dumpxml', alpha), stdout: domainXml(project, 'alpha')},
    {argv: virsh('net-dhcp-leases', 'default', '--mac', DEFAULT_MAC), stdout: VIRSH.leases([])},
  ]

  it('hands the terminal to virsh console after saying how to leave', async () => {
    const calls = [...alphaRunning(), {argv: virsh('console', alpha), stdout: 'alpha login: '}]
    const result = await vmInTerminal(project, ['console', 'alpha'], calls)
    expect(result.output).to.equal('Connected to the serial console of alpha; press Ctrl-] to leave.\nalpha login: ')
    expect(result.exitCode).to.equal(0)
    expect(result.calls).to.deep.equal(calls.map((c) => c.argv))
  })

  it('--force takes the console over; a failing virsh passes its status on (the machine stopped meanwhile)', async () => {
    const calls = [...alphaRunning(), {argv: virsh('console', alpha, '--force'), stderr: 'error: The domain is not running\n', exitCode: 1}]
    const result = await vmInTerminal(project, ['console', 'alpha', '--force'], calls)
    expect(result.exitCode).to.equal(1)
    expect(result.output).to.equal('Connected to the serial console of alpha; press Ctrl-] to leave.\nerror: The domain is not running\n')
    expect(result.calls).to.deep.equal(calls.map((c) => c.argv))
  })

  it('when another session holds the console, points to --force', async () => {
    const calls = [...alphaRunning(), {argv: virsh('console', alpha), stderr: 'error: operation failed: Active console session exists for this domain\n', exitCode: 1}]
    const result = await vmInTerminal(project, ['console', 'alpha'], calls)
    expect(result.exitCode).to.equal(1)
    expect(result.output).to.contain('Hint: if another session holds the console, `vm console alpha --force` takes it over.\n')
  })

  it('without a terminal: exit 2 pointing to the serial log, and no virsh console', async () => {
    const calls = alphaRunning()
    const result = await vm(project, ['console', 'alpha'], calls)
    expect(result.exitCode).to.equal(2)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.equal(
      'Error: vm console needs a terminal: stdin is not one.\n' +
        `Hint: Run \`vm console alpha\` from a terminal. To read what the machine printed without one: \`sudo tail -f /var/log/libvirt/qemu/${alpha}-serial.log\`.\n`,
    )
    expect(result.calls.map((c) => c.argv)).to.deep.equal(calls.map((c) => c.argv))
  })

  it('a suspended machine: exit 1 naming vm resume', async () => {
    const calls = [
      {argv: virsh('domstate', alpha), stdout: 'shut off\n\n'},
      {argv: virsh('dumpxml', alpha), stdout: domainXml(project, 'alpha')},
      {argv: virsh('dominfo', alpha), stdout: dominfo(true)},
    ]
    const result = await vm(project, ['console', 'alpha'], calls)
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal('Error: alpha is suspended; its console works only while it runs.\nHint: Run `vm resume alpha`.\n')
  })

  it('a halted machine: exit 1 naming vm up', async () => {
    const calls = [
      {argv: virsh('domstate', alpha), stdout: 'shut off\n\n'},
      {argv: virsh('dumpxml', alpha), stdout: domainXml(project, 'alpha')},
      {argv: virsh('dominfo', alpha), stdout: dominfo(false)},
    ]
    const result = await vm(project, ['console', 'alpha'], calls)
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal('Error: alpha is halted; its console works only while it runs.\nHint: Run `vm up alpha`.\n')
  })

  it('a machine that is not created: exit 1 naming vm up', async () => {
    const result = await vm(project, ['console', 'alpha'], [{argv: virsh('domstate', alpha), stderr: VIRSH.missingDomain(alpha), exitCode: 1}])
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal('Error: alpha is not created; its console works only while it runs.\nHint: Run `vm up alpha`.\n')
  })

  it('with two machines and none named: exit 2, "say which one", no call to libvirt', async () => {
    const result = await vm(project, ['console'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal('Error: This project has 2 machines; say which one.\nHint: One of: alpha, beta.\n')
    expect(result.calls).to.deep.equal([])
  })
})
