import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, relative} from 'node:path'

import {expect} from 'chai'

import {VmError} from '../../src/errors.js'
import {renderDomainXml} from '../../src/libvirt/domain-xml.js'

/**
 * Reads a captured fixture: its first line is a comment naming the command that printed it (and
 * the tool's version); the rest is the command's output, byte for byte.
 */
export function readCapture(url: URL): string {
  const text = readFileSync(url, 'utf8')
  const newline = text.indexOf('\n')
  const header = text.slice(0, newline)
  if (!header.startsWith('# ')) throw new Error(`${url.pathname}: the first line must be a "# command (version)" comment`)
  return text.slice(newline + 1)
}

/**
 * Compares TEXT with the golden file at URL. `UPDATE_GOLDEN=1 npx mocha ...` rewrites the file
 * instead, for a deliberate change: review the diff before committing it.
 */
export function expectGolden(text: string, url: URL): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(url.pathname), {recursive: true})
    writeFileSync(url, text)
    return
  }
  if (!existsSync(url)) throw new Error(`golden file ${url.pathname} is missing; create it with UPDATE_GOLDEN=1`)
  expect(text).to.equal(readFileSync(url, 'utf8'))
}

export type Ran = {stdout: string; stderr: string; status: number}

/** Runs a host tool; a missing tool fails with the package that provides it. */
export function runTool(command: string, args: readonly string[], pkg: string, input?: string | Buffer): Ran {
  const result = spawnSync(command, args, {input, maxBuffer: 64 * 1024 * 1024})
  if (result.error) throw new Error(`cannot run ${command} (${result.error.message}); this test needs: apt-get install ${pkg}`)
  return {stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8'), status: result.status ?? -1}
}

/**
 * For tests that check XML with libxml2: registers a scratch folder for the suite (made before,
 * removed after) and returns `file` (writes XML there, returns its path) and `xpath` (evaluates a
 * string expression with xmllint, which prints one newline after it).
 */
export function useXmlScratch(prefix: string): {file(name: string, xml: string): string; xpath(path: string, expression: string): string} {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix))
  })
  after(() => {
    rmSync(dir, {recursive: true, force: true})
  })
  return {
    file(name, xml) {
      const path = join(dir, `${name}.xml`)
      writeFileSync(path, xml)
      return path
    },
    xpath(path, expression) {
      const result = runTool('xmllint', ['--xpath', expression, path], 'libxml2-utils')
      expect(result.status, result.stderr).to.equal(0)
      expect(result.stdout.endsWith('\n')).to.equal(true)
      return result.stdout.slice(0, -1)
    },
  }
}

/** A fresh temp folder; remove() deletes it. */
export async function tempDir(prefix: string): Promise<{dir: string; remove(): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return {dir, remove: () => rm(dir, {recursive: true, force: true})}
}

/** Every path under DIR, relative, sorted; folders end in "/". */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (at: string) => {
    for (const entry of await readdir(at, {withFileTypes: true}).catch(() => [])) {
      const path = join(at, entry.name)
      out.push(relative(dir, path) + (entry.isDirectory() ? '/' : ''))
      if (entry.isDirectory()) await walk(path)
    }
  }
  await walk(dir)
  return out.sort()
}

/**
 * The XML of a domain vm made for MACHINE of PROJECT_DIR (ownership metadata included), as
 * renderDomainXml writes it: what fakes of `virsh dumpxml` answer.
 */
export function ownedDomainXml(spec: {name: string; machine: string; projectDir: string; mac: string; cpus?: number; uid?: number}): string {
  const {name, machine, projectDir, mac} = spec
  return renderDomainXml({
    name,
    uuid: '6f1c2a3e-1111-4222-8333-944455566677',
    type: 'qemu',
    title: `vm: ${machine} (${projectDir})`,
    memoryBytes: 2 ** 30,
    cpus: spec.cpus ?? 1,
    arch: 'x86_64',
    pool: 'vmfile',
    overlayVolume: `${name}.qcow2`,
    seedVolume: `${name}-seed.iso`,
    network: 'default',
    mac,
    serialLogPath: `/var/log/libvirt/qemu/${name}-serial.log`,
    owner: {projectDir, machine, toolVersion: '0.1.0', boxSha256: 'ab'.repeat(32), uid: spec.uid ?? process.getuid?.() ?? 0},
  })
}

/** Runs FN, which must throw a VmError; returns it for assertions on its code, message and hint. */
export function thrownVmError(fn: () => unknown): VmError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(VmError)
    return error as VmError
  }
  throw new Error('expected a VmError')
}

/** Awaits PROMISE, which must reject with a VmError; returns it. */
export async function rejectedVmError(promise: Promise<unknown>): Promise<VmError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(VmError)
    return error as VmError
  }
  throw new Error('expected a VmError')
}
