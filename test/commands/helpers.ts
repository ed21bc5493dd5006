import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'

import {domainName} from '../../src/machine/names.js'
import {keyRecordDir, recordKey} from '../../src/ssh/key-record.js'
import {ownedDomainXml} from '../unit/fixture.js'

/*
 * Command tests run the BUILT cli (node bin/run.js) as a user would, in a temp project folder,
 * with VM_HOME in a temp folder and fake `virsh` and `ssh` (test/fixtures/bin) first on PATH.
 * The fakes answer from a scenario and log every call; a call nobody scripted exits 99.
 */

export const ROOT = new URL('../../', import.meta.url).pathname
export const FAKE_BIN = join(ROOT, 'test/fixtures/bin')
export const URI = 'qemu:///system'

let built: Promise<void> | undefined

/** `npm run build` once per test run (it also regenerates oclif.manifest.json). */
export function ensureBuilt(): Promise<void> {
  built ??= execa('npm', ['run', '--silent', 'build'], {cwd: ROOT, stdio: 'pipe'}).then(() => undefined)
  return built
}

export type Call = {readonly argv: string[]; readonly stdout?: string; readonly stderr?: string; readonly exitCode?: number}

export type Project = {
  /** The project folder (with the Vmfile), as the cli sees it (real path). */
  readonly dir: string
  readonly home: string
  readonly root: string
  cleanup(): Promise<void>
}

/** A temp project with VMFILE (if given) and a VM_HOME beside it. */
export async function makeProject(vmfile?: string, folder = 'shop'): Promise<Project> {
  const root = await mkdtemp(join(tmpdir(), 'vm-cmd-'))
  const dir = join(root, folder)
  const home = join(root, 'home')
  await execa('mkdir', ['-p', dir, home])
  if (vmfile !== undefined) await writeFile(join(dir, 'Vmfile'), vmfile)
  return {dir, home, root, cleanup: () => rm(root, {recursive: true, force: true})}
}

/**
 * The project key vm made on the machines' first up (its contents do not matter to the fake ssh),
 * recorded in the project's VM_HOME as vm records the keys it makes.
 */
export async function writeProjectKey(project: Project): Promise<void> {
  await mkdir(join(project.dir, '.vm'), {recursive: true, mode: 0o700})
  await writeFile(join(project.dir, '.vm/id_ed25519'), 'key\n', {mode: 0o600})
  await recordKey(keyRecordDir(join(project.home, 'data')), Buffer.from('key\n'), project.dir)
}

/**
 * Registers the hooks every command test file needs: build the CLI once, a fresh project with
 * VMFILE before each test, removed after it. Returns a getter for the current project.
 */
export function useProject(vmfile: string): () => Project {
  let project: Project | undefined
  before(async function () {
    this.timeout(180_000)
    await ensureBuilt()
  })
  beforeEach(async () => {
    project = await makeProject(vmfile)
  })
  afterEach(async () => {
    await project?.cleanup()
  })
  return () => project!
}

export type VmResult = {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
  /** Every call the fakes saw, in order, with whether it was scripted. */
  readonly calls: Array<{argv: string[]; scripted: boolean}>
}

/** Runs `vm ARGS` in the project with the fakes answering CALLS. stdin is not a terminal. */
export async function vm(project: Project, args: string[], calls: Call[] = [], env: Record<string, string> = {}): Promise<VmResult> {
  const scenario = join(project.root, `scenario-${Date.now()}-${Math.random().toString(16).slice(2)}.json`)
  const log = `${scenario}.log`
  await writeFile(scenario, JSON.stringify({log, calls}))
  const result = await execa('node', [join(ROOT, 'bin/run.js'), ...args], {
    cwd: project.dir,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    extendEnv: false,
    env: {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      HOME: project.home,
      VM_HOME: project.home,
      // The shared host lock of qemu:///system stays in the test's own folder.
      VM_HOST_LOCK_DIR: project.home,
      VM_FAKE_SCENARIO: scenario,
      ...env,
    },
  })
  const text = await readFile(log, 'utf8').catch(() => '')
  return {
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    exitCode: result.exitCode ?? -1,
    calls: text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as {argv: string[]; scripted: boolean}),
  }
}

/** `virsh -c URI ...args` as the argv the fake sees. */
export function virsh(...args: string[]): string[] {
  return ['virsh', '-c', URI, ...args]
}

/** Real virsh 9.0 texts (see test/unit/libvirt/fixtures). */
export const VIRSH = {
  missingDomain: (name: string): Call['stderr'] => `error: failed to get domain '${name}'\n`,
  noSocket:
    "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n",
  leases: (rows: Array<{mac: string; ip: string; hostname: string}>) =>
    [
      ' Expiry Time           MAC address         Protocol   IP address           Hostname   Client ID or DUID',
      '-----------------------------------------------------------------------------------------------------------------',
      ...rows.map((r) => ` 2026-11-27 22:07:55   ${r.mac}   ipv4       ${`${r.ip}/24`.padEnd(18)}   ${r.hostname.padEnd(8)}   ff:00:0d:d0:8d:00:01:00:01`),
      '',
      '',
    ].join('\n'),
}

export const DEFAULT_MAC = '52:54:00:12:34:56'

/** libvirt's dumpxml of a domain vm made for MACHINE of PROJECT. */
export function domainXml(project: Project, machine: string, mac = DEFAULT_MAC): string {
  return ownedDomainXml({name: domainName(project.dir, machine), machine, projectDir: project.dir, mac, cpus: 2})
}
