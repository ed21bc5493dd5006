/**
 * `vm doctor`: what `vm up` needs from the host, each checked on its own so that one problem
 * does not hide the next, each with the exact fix. A check that fails blocks `vm up`; a warning
 * only costs speed or a feature.
 */
import {access, statfs} from 'node:fs/promises'

import {hostArch} from '../box/catalog.js'
import {VmError} from '../errors.js'
import {inspectAccelerator} from '../machine/host.js'
import type {Services} from '../services.js'
import {VIRTIOFSD_PATHS} from '../steps/check-environment.js'


export type CheckStatus = 'ok' | 'warn' | 'fail'
export type CheckResult = {readonly name: string; readonly status: CheckStatus; readonly detail: string; readonly fix?: string}

/** Below this much free space a box download and its import (about twice the image) may not fit. */
const LOW_DISK_BYTES = 5 * 1024 ** 3

export async function runChecks(services: Services): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const libvirt = await check('libvirt', async () => ({status: 'ok', detail: `${services.virsh.uri}: ${describeVersion(await services.virsh.version())}`}))
  results.push(libvirt)
  if (libvirt.status === 'ok') {
    results.push(await check('accelerator', () => checkKvm(services)))
    results.push(await check('network', () => checkNetwork(services)))
    results.push(await check('pool', () => checkPool(services)))
  }
  for (const [tool, args, pkg] of TOOLS) results.push(await check(tool, () => checkTool(services, tool, args, pkg)))
  results.push(await check('disk', () => checkDisk(services)))
  results.push(await check('virtiofsd', () => checkVirtiofsd()))
  return results
}

const TOOLS: readonly (readonly [string, readonly string[], string])[] = [
  ['qemu-img', ['--version'], 'qemu-utils'],
  ['ssh', ['-V'], 'openssh-client'],
  ['ssh-keygen', ['-?'], 'openssh-client'], // no version option: its usage text proves it runs
]

/** Runs one check; an error becomes a failed result with the error's hint as the fix. */
async function check(name: string, run: () => Promise<Omit<CheckResult, 'name'>>): Promise<CheckResult> {
  try {
    return {name, ...(await run())}
  } catch (error) {
    if (!(error instanceof VmError)) throw error
    return {name, status: 'fail', detail: error.message, ...(error.hint ? {fix: error.hint} : {})}
  }
}

async function checkKvm(services: Services): Promise<Omit<CheckResult, 'name'>> {
  const facts = await inspectAccelerator(services.virsh, hostArch(), services.libvirt.kvmDeviceCheck)
  if (!facts.offered.includes('kvm')) {
    return {status: 'warn', detail: 'libvirt offers no KVM here: machines run under software emulation (TCG), many times slower', fix: 'Enable virtualisation (VT-x/AMD-V) in the firmware, or nested virtualisation for a VM host; `sudo apt-get install qemu-system-x86` provides KVM support.'}
  }
  if (facts.kvmDeviceProblem) {
    return {status: 'warn', detail: `KVM is offered but ${facts.kvmDeviceProblem}: machines fall back to software emulation`, fix: 'Add yourself to the kvm group (`sudo usermod -aG kvm $USER`, then log in again).'}
  }
  return {status: 'ok', detail: 'KVM is usable'}
}

async function checkNetwork(services: Services): Promise<Omit<CheckResult, 'name'>> {
  const name = services.libvirt.network
  const info = await services.virsh.networkInfo(name)
  const uri = services.virsh.uri
  if (!info) return {status: 'fail', detail: `libvirt has no network named ${name}`, fix: `virsh -c ${uri} net-define /usr/share/libvirt/networks/default.xml && virsh -c ${uri} net-autostart ${name} && virsh -c ${uri} net-start ${name}`}
  if (info.Active !== 'yes') return {status: 'warn', detail: `network ${name} is not active (vm up starts it)`, fix: `virsh -c ${uri} net-start ${name} && virsh -c ${uri} net-autostart ${name}`}
  return {status: 'ok', detail: `network ${name} is active${info.Autostart === 'yes' ? '' : ' (not autostarted)'}`}
}

async function checkPool(services: Services): Promise<Omit<CheckResult, 'name'>> {
  const {pool, poolPath, local} = services.libvirt
  const info = await services.virsh.poolInfo(pool)
  if (!info) return {status: 'ok', detail: `pool ${pool} does not exist yet; vm up creates it at ${poolPath}`}
  if (info.State !== 'running') return {status: 'warn', detail: `pool ${pool} is ${info.State ?? 'not running'} (vm up starts it)`, fix: `virsh -c ${services.virsh.uri} pool-start ${pool}`}
  if (local && !(await exists(poolPath))) {
    return {status: 'fail', detail: `pool ${pool} runs but its folder ${poolPath} is gone`, fix: `virsh -c ${services.virsh.uri} pool-build ${pool} && virsh -c ${services.virsh.uri} pool-refresh ${pool}`}
  }
  return {status: 'ok', detail: `pool ${pool} is running`}
}

async function checkTool(services: Services, tool: string, args: readonly string[], pkg: string): Promise<Omit<CheckResult, 'name'>> {
  const result = await services.runner.run(tool, args, {okExitCodes: [0, 1, 255], timeoutMs: 10_000})
  const version = firstLine(result.stdout || result.stderr)
  return {status: 'ok', detail: /\d+\.\d+/.test(version) ? version : `installed (${pkg})`}
}

async function checkDisk(services: Services): Promise<Omit<CheckResult, 'name'>> {
  const folders = [services.home.cacheDir, ...(services.libvirt.local ? [services.libvirt.poolPath] : [])]
  const lows: string[] = []
  const seen: string[] = []
  for (const folder of folders) {
    const free = await freeBytes(folder)
    if (free === undefined) continue
    seen.push(`${folder}: ${(free / 1024 ** 3).toFixed(1)} GiB free`)
    if (free < LOW_DISK_BYTES) lows.push(folder)
  }
  if (lows.length > 0) return {status: 'warn', detail: seen.join('; '), fix: `Free space under ${lows.join(' and ')} (\`vm box prune\` removes unused boxes).`}
  return {status: 'ok', detail: seen.join('; ') || 'no folder to measure yet'}
}

async function checkVirtiofsd(): Promise<Omit<CheckResult, 'name'>> {
  for (const path of VIRTIOFSD_PATHS) if (await exists(path)) return {status: 'ok', detail: `${path} (for virtiofs folders)`}
  return {status: 'warn', detail: 'virtiofsd is not installed: only folders of type virtiofs need it', fix: 'Debian 12: `sudo apt-get install qemu-system-common`; Debian 13 and Ubuntu 24.04: `sudo apt-get install virtiofsd`.'}
}

/** Free bytes of the file system holding PATH or its nearest existing parent. */
async function freeBytes(path: string): Promise<number | undefined> {
  for (let dir = path; ; dir = dir.slice(0, Math.max(1, dir.lastIndexOf('/')))) {
    const stats = await statfs(dir).catch(() => undefined)
    if (stats) return stats.bavail * stats.bsize
    if (dir === '/') return undefined
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

/** "libvirt 9.0.0, QEMU 7.2.22" from `virsh version`; its first line when the shape is unknown. */
export function describeVersion(text: string): string {
  const daemon = /^Running against daemon:\s*(\S+)/m.exec(text)?.[1] ?? /^Using library: libvirt (\S+)/m.exec(text)?.[1]
  const hypervisor = /^Running hypervisor:\s*(.+)$/m.exec(text)?.[1]?.trim()
  if (!daemon && !hypervisor) return firstLine(text)
  return [daemon ? `libvirt ${daemon}` : undefined, hypervisor].filter(Boolean).join(', ')
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? ''
}
