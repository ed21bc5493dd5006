/**
 * Step 3 of 3: checks every value and converts the filled machines into the resolved Vmfile.
 * No I/O: whether a box exists or /dev/kvm is usable is for the steps that need them.
 */
import {dirname} from 'node:path'

import type {Accelerator, BoxSource, MachineConfig, PortForward, PrivateNetwork, Provisioner, SyncedFolder, UserCloudInit, Vmfile} from './types.js'
import type {Checked, Complaint} from './complaint.js'
import {declaredSettings, type FilledMachine, type Origin, type Sourced} from './defaults.js'
import {dotted, locate} from './locate.js'
import type {ParsedVmfile} from './parse.js'
import {hasErrors, sortProblems, type Problem} from './problem.js'
import type {SettingKey} from './schema.js'
import {checkBox} from './check-box.js'
import {checkAccelerator, checkCpus, checkDisk, checkMemory} from './check-settings.js'
import {checkStructure} from './check-structure.js'
import {checkCloudInit} from './check-cloud-init.js'
import {checkFolders} from './check-folders.js'
import {checkBridge, checkNetwork, checkPrivateNetwork} from './check-network.js'
import {checkPorts} from './check-ports.js'
import {checkProvision} from './check-provision.js'
import {checkAcrossMachines} from './check-across-machines.js'

type SettingValues = {
  box: BoxSource
  cpus: number
  memory: number
  disk: number
  accelerator: Accelerator
  cloud_init: UserCloudInit
  folders: SyncedFolder[]
  ports: PortForward[]
  provision: Provisioner[]
  network: string
  bridge: string
  private_network: PrivateNetwork
}

export type Validated = {
  /** Present only when there is no error (warnings are allowed). */
  readonly vmfile?: Vmfile
  /** Every problem found, errors and warnings, in file order. */
  readonly problems: readonly Problem[]
}

/**
 * Checks a parsed Vmfile whose machines fillDefaults has filled, collecting all problems rather
 * than stopping at the first. Each value is checked once per origin, so a bad inherited value
 * is reported once, where it is written; values the machines do not use (a top-level value
 * every machine overrides, a file accelerator that VM_ACCELERATOR overrides) are still checked.
 * `vmfilePath` must be absolute; relative box paths resolve against its folder.
 */
export function validateVmfile(
  parsed: ParsedVmfile,
  machines: readonly FilledMachine[],
  vmfilePath: string,
): Validated {
  const projectDir = dirname(vmfilePath)
  const top: Origin = {kind: 'file', path: []}
  const problems = checkStructure(parsed.raw).map((complaint) => toProblem(parsed, complaint, top))
  const check = memoizedChecker(parsed, projectDir, problems)
  for (const {key, sourced} of declaredSettings(parsed.raw)) check(key, sourced)
  const configs: MachineConfig[] = []
  for (const machine of machines) {
    if (!machine.box) problems.push(missingBox(parsed, machine))
    const box = machine.box && check('box', machine.box)
    const cpus = check('cpus', machine.cpus)
    const memoryBytes = check('memory', machine.memory)
    const diskBytes = check('disk', machine.disk)
    const accelerator = check('accelerator', machine.accelerator)
    const optional = checkOptional(machine, check)
    if (box && cpus !== undefined && memoryBytes !== undefined && diskBytes !== undefined && accelerator && optional) {
      configs.push({name: machine.name, box, cpus, memoryBytes, diskBytes, accelerator, ...optional})
    }
  }
  problems.push(...checkAcrossMachines(configs, machines).map(({complaint, origin}) => toProblem(parsed, complaint, origin)))
  const sorted = sortProblems(problems)
  if (hasErrors(sorted)) return {problems: sorted}
  return {vmfile: {path: vmfilePath, projectDir, machines: configs}, problems: sorted}
}

type OptionalValues = Pick<MachineConfig, 'cloudInit' | 'folders' | 'ports' | 'provisioners' | 'network' | 'bridge' | 'privateNetwork'>

/** The settings without built-in defaults; undefined when any written one is invalid. */
function checkOptional(machine: FilledMachine, check: Check): OptionalValues | undefined {
  const {optional} = machine
  let valid = true
  const get = <K extends keyof typeof optional>(key: K): SettingValues[K] | undefined => {
    const sourced = optional[key]
    if (!sourced) return undefined
    const value = check(key, sourced)
    if (value === undefined) valid = false
    return value
  }
  const values: OptionalValues = {
    folders: get('folders') ?? [],
    ports: get('ports') ?? [],
    provisioners: get('provision') ?? [],
    ...defined('cloudInit', get('cloud_init')),
    ...defined('network', get('network')),
    ...defined('bridge', get('bridge')),
    ...defined('privateNetwork', get('private_network')),
  }
  return valid ? values : undefined
}

function defined<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({[key]: value} as Record<K, V>)
}

type Check = <K extends SettingKey>(key: K, sourced: Sourced) => SettingValues[K] | undefined

/** Checks each value the first time it is seen; later calls (other machines inheriting it) reuse the verdict. */
function memoizedChecker(parsed: ParsedVmfile, projectDir: string, problems: Problem[]): Check {
  const checkers: {[K in SettingKey]: (value: unknown) => Checked<SettingValues[K]>} = {
    box: (value) => checkBox(value, projectDir),
    cpus: checkCpus,
    memory: checkMemory,
    disk: checkDisk,
    accelerator: checkAccelerator,
    cloud_init: (value) => checkCloudInit(value, projectDir),
    folders: (value) => checkFolders(value, projectDir),
    ports: checkPorts,
    provision: (value) => checkProvision(value, projectDir),
    network: checkNetwork,
    bridge: checkBridge,
    private_network: checkPrivateNetwork,
  }
  const verdicts = new Map<string, Checked<unknown>>()
  return <K extends SettingKey>(key: K, {value, origin}: Sourced) => {
    const id = originId(parsed, origin)
    let verdict = verdicts.get(id)
    if (!verdict) {
      verdict = checkers[key](value)
      verdicts.set(id, verdict)
      problems.push(...verdict.complaints.map((complaint) => toProblem(parsed, complaint, origin, key)))
    }
    return verdict.value as SettingValues[K] | undefined
  }
}

/** Identifies a value for checking it once: by its node's position, as aliases let two paths reach one node. */
function originId(parsed: ParsedVmfile, origin: Origin): string {
  const span = origin.kind === 'file' ? locate(parsed, origin.path) : undefined
  return span ? `node ${span.line}:${span.col}` : JSON.stringify(origin)
}

/** Locates a complaint: below the file node it came from, or against the environment variable. */
function toProblem(parsed: ParsedVmfile, complaint: Complaint, origin: Origin, key?: SettingKey): Problem {
  const {severity, message} = complaint
  if (origin.kind === 'file') {
    const path = [...origin.path, ...complaint.path]
    return {severity, path: dotted(path), message, ...locate(parsed, path, complaint.on)}
  }
  const path = dotted([key ?? '', ...complaint.path])
  if (origin.kind === 'env') return {severity, path, message, envVar: origin.name}
  // Built-in defaults are valid by construction; if one is not, say whose fault it is.
  return {severity, path, message: `built-in default: ${message}`}
}

function missingBox(parsed: ParsedVmfile, machine: FilledMachine): Problem {
  const path = [...machine.path, 'box']
  if (machine.path.length === 0) {
    return {severity: 'error', path: 'box', message: 'expected a box such as "box: debian-12", found nothing'}
  }
  // Points at the machine's key: the box is missing from there (or from the top level).
  const message = 'expected a box here or at the top level, such as "box: debian-12", found nothing'
  return {severity: 'error', path: dotted(path), message, ...locate(parsed, path)}
}
