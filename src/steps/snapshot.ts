import {VmError} from '../errors.js'
import {CommandFailedError} from '../exec/runner.js'
import {inspectSuspended, removeManagedSave} from '../libvirt/managed-save.js'
import {classifySnapshotError, parseSnapshotXml, type SnapshotFacts} from '../libvirt/snapshot-parse.js'
import {createSnapshot, currentSnapshotName, deleteSnapshot as deleteDomainSnapshot, listSnapshotNames, revertSnapshot, snapshotXml} from '../libvirt/snapshot-virsh.js'
import {inspectMachine, type MachineStatus} from '../machine/inspect.js'
import {selectMachines, type Project} from '../machine/project.js'
import {parseHostfwdFailure} from '../ports/hostfwd-failure.js'
import type {Services} from '../services.js'
import {probeTcp} from '../ssh/probe.js'
import {formatSeconds, machineOutput} from '../ui/output.js'
import {sleep} from '../util/sleep.js'
import type {MachineConfig} from '../vmfile/types.js'

/*
 * `vm snapshot save|restore|list|delete`: libvirt's internal snapshots of a machine's overlay.
 * Measured on libvirt 9.0 / QEMU 7.2 under TCG (1 GiB guest): saving a running machine (memory
 * included) takes about 0.4-1.2 s, a shut-off one 0.02 s; restoring takes 0.8-2.5 s, and a running
 * machine's SSH port answers some 3 s later (QEMU is restarted, with a new tap on the bridge).
 */

/** Letters, digits, ".", "_" and "-", not starting with "-" (it would read as an option). */
const SNAPSHOT_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/
const SNAPSHOT_NAME_MAX = 64
/** How long restore waits for a restored running machine to answer on SSH before saying so. */
const SSH_WAIT_MS = 60_000
const PORT_POLL_MS = 250

/** What vm snapshot list reports for one snapshot (also its --json shape). */
export type SnapshotEntry = {
  readonly machine: string
  readonly name: string
  /** ISO 8601, UTC. */
  readonly createdAt: string
  /** The machine's state when it was taken (running, paused, shutoff); restore returns it there. */
  readonly state: string
  readonly description: string | null
  readonly parent: string | null
  /** The snapshot last saved or restored: the one the machine's present state grew from. */
  readonly current: boolean
}

/** The words after `vm snapshot VERB`: [MACHINE] NAME. */
export type SnapshotTarget = {readonly machine: MachineConfig; readonly name: string}

/** Why NAME cannot name a snapshot, or undefined when it can. Pure. */
export function snapshotNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty'
  if (name.length > SNAPSHOT_NAME_MAX) return `it is longer than ${SNAPSHOT_NAME_MAX} characters`
  if (name.startsWith('-')) return 'it starts with "-"'
  if (!SNAPSHOT_NAME.test(name)) return 'use only letters, digits, ".", "_" and "-"'
  return undefined
}

/**
 * Reads `[MACHINE] NAME`: two words are machine and snapshot; one word is the snapshot of the
 * project's only machine. Usage errors (exit 2) say which form was meant. Pure.
 */
export function resolveSnapshotTarget(project: Project, verb: string, first: string | undefined, second: string | undefined): SnapshotTarget {
  const all = project.vmfile.machines
  const usage = `vm snapshot ${verb} ${all.length === 1 ? '[MACHINE]' : 'MACHINE'} NAME`
  if (first === undefined) {
    throw new VmError(`Say which snapshot to ${verb}: \`${usage}\`.`, {code: 'USAGE', exitCode: 2, hint: verb === 'save' ? undefined : 'See them with `vm snapshot list`.'})
  }
  if (second === undefined && all.length !== 1) {
    const named = all.find((m) => m.name === first)
    throw new VmError(
      named ? `Say the snapshot's name: \`vm snapshot ${verb} ${first} NAME\`.` : `This project has ${all.length} machines; say which one: \`${usage}\`.`,
      {code: named ? 'USAGE' : 'MACHINE_AMBIGUOUS', exitCode: 2, hint: named ? (verb === 'save' ? undefined : `See them with \`vm snapshot list ${first}\`.`) : `One of: ${all.map((m) => m.name).join(', ')}.`},
    )
  }
  const [machineName, name] = second === undefined ? [all[0]!.name, first] : [first, second]
  // An unknown name is the same usage error as for every other command.
  return {machine: selectMachines(project, [machineName])[0]!, name}
}

/**
 * `vm snapshot save`: an internal snapshot of a running or paused machine (disk and memory) or
 * of a shut-off one (disk only). Refuses an invalid or taken name before touching libvirt.
 */
export async function saveSnapshot(services: Services, project: Project, machine: MachineConfig, name: string, options: {description?: string} = {}): Promise<void> {
  const problem = snapshotNameProblem(name)
  if (problem) {
    throw new VmError(`"${name}" cannot name a snapshot: ${problem}.`, {
      code: 'SNAPSHOT_NAME_INVALID',
      exitCode: 2,
      hint: `For example: \`vm snapshot save ${machine.name} before-upgrade\`.`,
    })
  }
  const {virsh} = services
  const out = machineOutput(services.out, machine.name)
  const status = await inspectCreated(services, project, machine, 'there is nothing to snapshot')
  if (status.state === 'shutoff' && (await inspectSuspended(virsh, status))) {
    throw new VmError(`${machine.name} is suspended: its memory is in the image \`vm suspend\` wrote, which a snapshot cannot hold.`, {
      code: 'SNAPSHOT_SUSPENDED',
      hint: `Run \`vm resume ${machine.name}\`, then \`vm snapshot save ${machine.name} ${name}\` again.`,
    })
  }
  if (!['running', 'paused', 'shutoff'].includes(status.state)) {
    throw new VmError(`${machine.name} is ${stateWords(status.state)}; vm snapshots a machine that is running, paused or shut off.`, {
      code: 'SNAPSHOT_BAD_STATE',
      hint: `Wait until \`vm status\` shows it running or shut off (or run \`vm halt ${machine.name}\`), then save again.`,
    })
  }
  const existing = (await listSnapshotNames(virsh, status.domain)) ?? []
  if (existing.includes(name)) throw snapshotExistsError(machine.name, name, existing)
  const started = Date.now()
  try {
    await createSnapshot(virsh, status.domain, name, options.description)
  } catch (error) {
    throw (error instanceof CommandFailedError ? saveFailure(machine.name, name, existing, error) : undefined) ?? error
  }
  const what = status.state === 'shutoff' ? 'disk only, shut off' : `disk and memory, ${stateWords(status.state)}`
  out.info(`saved snapshot ${name} (${what}) (${formatSeconds(Date.now() - started)})`)
}

/** The error for a failed snapshot-create-as, or undefined when vm has nothing to add. Pure. */
function saveFailure(machine: string, name: string, existing: readonly string[], error: CommandFailedError): VmError | undefined {
  const failure = classifySnapshotError(error.result.stderr)
  if (failure.kind === 'exists') return snapshotExistsError(machine, name, [...existing, name])
  if (failure.kind !== 'memory-blocked') return undefined
  const why = failure.liveFolder
    ? 'it has a live folder (virtiofs), whose state QEMU cannot save with the memory'
    : `libvirt cannot save its memory (${failure.blocker})`
  return new VmError(`${machine} cannot be snapshotted while it runs: ${why}.`, {
    code: 'SNAPSHOT_UNSUPPORTED',
    hint: `Halt it first with \`vm halt ${machine}\`, then \`vm snapshot save ${machine} ${name}\` (a shut-off snapshot holds the disk); \`vm up ${machine}\` boots it again.`,
    cause: error,
  })
}

export type RestoreOptions = {
  /** How long to wait for a restored running machine's SSH port; 0 does not wait. */
  readonly sshWaitMs?: number
  /** Whether HOST:PORT accepts TCP connections (tests replace it). */
  readonly probe?: (host: string, port: number, timeoutMs: number) => Promise<boolean>
}

/**
 * `vm snapshot restore`: the machine's disk (and memory, for a running snapshot) go back to the
 * snapshot, and the machine to the state it had then: a running snapshot comes back running, a
 * shut-off one shut off. What the machine holds now is lost, the memory `vm suspend` saved too.
 */
export async function restoreSnapshot(services: Services, project: Project, machine: MachineConfig, name: string, options: RestoreOptions = {}): Promise<void> {
  const {virsh} = services
  const out = machineOutput(services.out, machine.name)
  const status = await inspectSnapshotted(services, project, machine, name)
  const started = Date.now()
  if (await inspectSuspended(virsh, status)) {
    // libvirt keeps a managed-save image across a revert, and the next start would load that
    // memory over the restored disk (seen on libvirt 9.0): it must go first.
    await removeManagedSave(virsh, status.domain)
    out.info('discarded the memory `vm suspend` saved: it belongs to the state being replaced')
  }
  try {
    await revertSnapshot(virsh, status.domain, name)
  } catch (error) {
    throw (error instanceof CommandFailedError ? restoreFailure(machine.name, name, virsh.uri, status.domain, error) : undefined) ?? error
  }
  const after = await inspectMachine(virsh, project.dir, machine.name)
  out.info(`restored snapshot ${name}; ${stateWords(after.state)} (${formatSeconds(Date.now() - started)})`)
  if (after.state === 'paused') out.info(`it was paused when the snapshot was taken; \`vm up ${machine.name}\` lets it run.`)
  if (after.state !== 'running') return
  if (after.ip === undefined) {
    // Seen on libvirt 9.0 with a Debian guest: a clean halt after the snapshot makes the guest
    // release its DHCP lease; restored from memory, it keeps using the address without asking
    // again until its lease is due for renewal, and libvirt cannot say where it is until then.
    if (after.facts?.network) out.warn(noLeaseWarning(machine.name))
    return
  }
  const waitMs = options.sshWaitMs ?? SSH_WAIT_MS
  if (waitMs <= 0) return
  if (await waitForPort(options.probe ?? probeTcp, after.ip, 22, waitMs, services.signal)) {
    out.info(`SSH port answers (${formatSeconds(Date.now() - started)})`)
  } else {
    out.warn(`nothing answered on ${after.ip}:22 within ${Math.round(waitMs / 1000)} s; if the snapshot was taken while it booted, it is booting again (\`vm up ${machine.name}\` waits for it).`)
  }
}

/** What to say when a restored running machine has no DHCP lease in libvirt. Pure. */
function noLeaseWarning(machine: string): string {
  return (
    `runs, but libvirt has no DHCP lease for it, so \`vm ssh\` cannot find it yet: the guest gave its address back when it was halted after this snapshot was taken, ` +
    `and asks again only when its lease is due for renewal (up to 30 min). To reach it now, \`vm halt ${machine}\` and \`vm up ${machine}\` boot it from the restored disk (its processes start afresh).`
  )
}

/** The error for a failed snapshot-revert, or undefined when vm has nothing to add. Pure. */
function restoreFailure(machine: string, name: string, uri: string, domain: string, error: CommandFailedError): VmError | undefined {
  const text = `${error.result.stderr}\n${error.result.stdout}`
  // A running snapshot restarts QEMU, which binds the forwarded ports again.
  const port = parseHostfwdFailure(text)
  if (port) {
    const protocol = port.protocol === 'udp' ? 'u' : 't'
    return new VmError(`QEMU could not bind forwarded port ${port.hostIp}:${port.hostPort}/${port.protocol} of machine ${machine} while restoring snapshot ${name}; the machine is left shut off.`, {
      code: 'PORT_IN_USE',
      hint: `See what holds it: ss -l${protocol}np 'sport = :${port.hostPort}'; stop that program, then run \`vm snapshot restore ${machine} ${name}\` again.`,
      cause: error,
    })
  }
  const failure = classifySnapshotError(error.result.stderr)
  if (failure.kind === 'needs-force') {
    return new VmError(`libvirt will not restore snapshot ${name} of ${machine} without force: ${failure.reason}.`, {
      code: 'SNAPSHOT_RESTORE_REFUSED',
      detail: error.detail,
      hint: `To restore it anyway (what the machine holds now is lost): \`virsh -c ${uri} snapshot-revert --domain ${domain} --snapshotname ${name} --force\`.`,
      cause: error,
    })
  }
  return undefined
}

/** `vm snapshot list`: the snapshots of MACHINES, oldest first per machine; a machine not created has none. */
export async function listSnapshots(services: Services, project: Project, machines: readonly MachineConfig[]): Promise<SnapshotEntry[]> {
  const perMachine = await Promise.all(machines.map((machine) => listOne(services, project, machine)))
  return perMachine.flat()
}

async function listOne(services: Services, project: Project, machine: MachineConfig): Promise<SnapshotEntry[]> {
  const {virsh} = services
  const status = await inspectMachine(virsh, project.dir, machine.name)
  if (status.state === 'not_created') return []
  const names = (await listSnapshotNames(virsh, status.domain)) ?? []
  if (names.length === 0) return []
  const current = await currentSnapshotName(virsh, status.domain)
  const facts = await Promise.all(names.map((name) => snapshotXml(virsh, status.domain, name).then((xml) => (xml === undefined ? undefined : parseSnapshotXml(xml)))))
  // A snapshot deleted between the two calls is simply not listed.
  return sortByCreation(facts.filter((f): f is SnapshotFacts => f !== undefined)).map((f) => snapshotEntry(machine.name, f, current))
}

/** Oldest first; equal times (one second's resolution) keep libvirt's order. Pure. */
function sortByCreation(snapshots: readonly SnapshotFacts[]): SnapshotFacts[] {
  return [...snapshots].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
}

/** The --json entry of one snapshot. Pure. */
function snapshotEntry(machine: string, facts: SnapshotFacts, current: string | undefined): SnapshotEntry {
  return {
    machine,
    name: facts.name,
    createdAt: facts.createdAt,
    state: facts.state,
    description: facts.description ?? null,
    parent: facts.parent ?? null,
    current: facts.name === current,
  }
}

/** `vm snapshot delete`: removes the snapshot from the overlay; the machine itself is untouched. */
export async function deleteSnapshot(services: Services, project: Project, machine: MachineConfig, name: string): Promise<void> {
  const {virsh} = services
  const out = machineOutput(services.out, machine.name)
  const status = await inspectSnapshotted(services, project, machine, name)
  const started = Date.now()
  await deleteDomainSnapshot(virsh, status.domain, name)
  out.info(`deleted snapshot ${name} (${formatSeconds(Date.now() - started)})`)
}

/** The status of a machine that has the snapshot NAME; an error listing its snapshots when it has not. */
async function inspectSnapshotted(services: Services, project: Project, machine: MachineConfig, name: string): Promise<MachineStatus> {
  const status = await inspectCreated(services, project, machine, 'it has no snapshots')
  const existing = (await listSnapshotNames(services.virsh, status.domain)) ?? []
  if (!existing.includes(name)) throw snapshotNotFoundError(machine.name, name, existing)
  return status
}

/** The machine's status; an error naming `vm up` when it has not been created. */
async function inspectCreated(services: Services, project: Project, machine: MachineConfig, consequence: string): Promise<MachineStatus> {
  const status = await inspectMachine(services.virsh, project.dir, machine.name)
  if (status.state === 'not_created') {
    throw new VmError(`${machine.name} is not created: ${consequence}.`, {
      code: 'MACHINE_NOT_CREATED',
      hint: `Create it with \`vm up ${machine.name}\` first.`,
    })
  }
  return status
}

function snapshotExistsError(machine: string, name: string, existing: readonly string[]): VmError {
  return new VmError(`${machine} already has a snapshot named ${name}.`, {
    code: 'SNAPSHOT_EXISTS',
    detail: `  Snapshots of ${machine}: ${existing.join(', ')}`,
    hint: `Pick another name, or replace it: \`vm snapshot delete ${machine} ${name}\`, then save again.`,
  })
}

function snapshotNotFoundError(machine: string, name: string, existing: readonly string[]): VmError {
  return new VmError(`${machine} has no snapshot named ${name}.`, {
    code: 'SNAPSHOT_NOT_FOUND',
    ...(existing.length > 0 ? {detail: `  Snapshots of ${machine}: ${existing.join(', ')}`} : {}),
    hint: existing.length > 0 ? `\`vm snapshot list ${machine}\` shows them with their dates.` : `It has none yet; \`vm snapshot save ${machine} NAME\` takes one.`,
  })
}

/** "shut off", "in shutdown": libvirt's state as people write it. Pure. */
export function stateWords(state: string): string {
  return state === 'shutoff' ? 'shut off' : state.replaceAll('_', ' ')
}

/** Whether HOST:PORT accepts a connection before TIMEOUT_MS passes; polls without spawning processes. */
export async function waitForPort(
  probe: NonNullable<RestoreOptions['probe']>,
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const asked = Date.now()
    if (await probe(host, port, 500)) return true
    if (Date.now() >= deadline) return false
    await sleep(Math.max(0, Math.min(PORT_POLL_MS - (Date.now() - asked), deadline - Date.now())), signal)
  }
}
