import {InterruptedError, VmError} from '../errors.js'
import {chooseDomainType, type DomainTypeChoice} from '../machine/accelerator.js'
import {hostArch} from '../box/catalog.js'
import {ensureNetwork, ensurePool, inspectAccelerator, requirePoolSpace} from '../machine/host.js'
import {installVirtiofsdWrapper} from '../folders/install-virtiofsd-wrapper.js'
import {withHostLock} from '../machine/host-lock.js'
import {inspectSuspended} from '../libvirt/managed-save.js'
import {inspectMachine, inspectPauseProblem, type MachineStatus} from '../machine/inspect.js'
import {overlayVolumeName} from '../machine/names.js'
import {isLocalBox, localBoxPath} from '../consent/reach.js'
import {checkProjectState, ensureProjectState, requireProjectKey, type Project} from '../machine/project.js'
import type {Services} from '../services.js'
import {formatSize} from '../vmfile/size.js'
import type {BoxSource, MachineConfig} from '../vmfile/types.js'
import {bootMachine, type BootOptions} from './boot-machine.js'
import {createMachineSteps} from './create-machine.js'
import {prepareBox, type PreparedBox} from './prepare-box.js'
import {machineOutput, type Output} from '../ui/output.js'
import {describeDrift} from './config-drift.js'
import {runSteps, type RunStepsOptions, type Step} from './run-steps.js'
import {settleAll} from './settle.js'
import {afterBoot, type ProvisionWhen, type RunningMachine} from './after-boot.js'
import {checkEnvironment} from './check-environment.js'
import {prepareUserConfigs} from './user-config.js'
import {ensureProjectNetwork, removeProjectNetworkIfUnused} from './project-network.js'
import {syncProjectHosts} from './sync-hosts.js'

/** States `up` knows how to leave for running: start (shutoff, crashed) or resume (paused). */
const STARTABLE = ['shutoff', 'crashed', 'paused']

export type UpOptions = BootOptions & {
  /** Remove a machine this run created when its creation or first boot fails (default true). */
  readonly destroyOnError: boolean
  readonly toolVersion: string
  readonly provision: ProvisionWhen
  /** `--insecure`: accept a box whose image and checksum file both come over plain http (see transport-policy.ts). */
  readonly insecure?: boolean
}

/**
 * `vm up`: creates what is missing and boots what is not running, machines in parallel. Every
 * check that can reject the request (libvirt reachable, host folders, ports, networks, the user's
 * cloud-init, accelerator, boxes, disk sizes) runs before anything is created. Once machines are
 * up, the project's /etc/hosts blocks are written and each machine is set up (folders,
 * provisioners) outside the rollback: a failure there keeps the machine.
 */
export async function upMachines(services: Services, project: Project, machines: readonly MachineConfig[], options: UpOptions): Promise<void> {
  // Shared with other ups; `global-status --prune` waits for it (see host-lock.ts).
  await withHostLock(services.home, services.virsh.uri, {shared: true, signal: services.signal}, () => upLocked(services, project, machines, options))
}

async function upLocked(services: Services, project: Project, machines: readonly MachineConfig[], options: UpOptions): Promise<void> {
  const {virsh, libvirt, out} = services
  // A committed .vm/ (a key vm did not make, a symlink) is refused before libvirt is asked anything.
  await checkProjectState(project, services.home.dataDir)
  await virsh.version()
  const statuses = await Promise.all(machines.map((m) => inspectMachine(virsh, project.dir, m.name)))
  const toCreate = machines.filter((_, i) => statuses[i]!.state === 'not_created')
  const toStart = machines.filter((_, i) => statuses[i]!.state !== 'running')
  await requireProjectKey(project, statuses.filter((s) => s.state !== 'not_created').map((s) => s.name), services.home.dataDir)
  await ensureNetwork(virsh, libvirt.network, out.info)
  const environment = await checkEnvironment(services, {toCreate, toStart, grant: project.grant})
  // libvirtd of qemu:///system runs virtiofsd as root: vm's wrapper maps the guest's ids instead.
  const virtiofsdPath =
    environment.virtiofsdPath && libvirt.system ? await installVirtiofsdWrapper(services.home, environment.virtiofsdPath) : environment.virtiofsdPath
  const userConfigs = await prepareUserConfigs(services, project, toCreate)
  const arch = hostArch()
  const {plans, authorizedKey} = await prepareCreation(services, project, toCreate, arch, options.insecure)
  // Also for halted machines: their network may have been stopped since (a host reboot).
  const privateNetwork = toStart.some((m) => m.privateNetwork) ? await ensureProjectNetwork(services, project) : undefined
  const statusOf = new Map(machines.map((m, i) => [m.name, statuses[i]!]))
  const booted: RunningMachine[] = []
  const upResult = settleAll(
    machines,
    async (machine) => {
      const status = statusOf.get(machine.name)!
      const plan = plans.get(machine.name)
      const create = plan
        ? createMachineSteps(services, project, {
            machine,
            domain: status.domain,
            box: plan.box,
            domainType: plan.type.type,
            arch,
            toolVersion: options.toolVersion,
            authorizedKey,
            ...(userConfigs.get(machine.name) ? {userConfig: userConfigs.get(machine.name)} : {}),
            ...(privateNetwork && machine.privateNetwork ? {privateNetwork} : {}),
            ...(virtiofsdPath ? {virtiofsdPath} : {}),
          })
        : undefined
      await upOne(services, project, machine, status, create, options)
      const now = await inspectMachine(virsh, project.dir, machine.name)
      if (now.ip) booted.push({name: machine.name, machine, domain: now.domain, ip: now.ip, created: create !== undefined})
    },
    'come up',
  )
  // Machines that came up are set up even when another failed; the failure is reported after.
  const upError = await upResult.then(() => undefined, (error: unknown) => error)
  if (privateNetwork && upError) await removeProjectNetworkIfUnused(services, project).catch(() => undefined)
  if (services.signal.aborted) throw upError ?? new InterruptedError()
  await syncProjectHosts(services, project).catch((error: unknown) => out.warn(`could not update /etc/hosts of the machines: ${String(error)}`))
  await settleAll(booted, (running) => afterBoot(services, project, running, options.provision, machineOutput(out, running.machine.name)), 'be set up')
  if (upError) throw upError
}

type CreationPlans = {plans: Map<string, {box: PreparedBox; type: DomainTypeChoice}>; authorizedKey: string}

/** Accelerator, pool, boxes (downloaded and imported), disk sizes and the project key, for the machines to create. */
async function prepareCreation(services: Services, project: Project, toCreate: readonly MachineConfig[], arch: string, insecure = false): Promise<CreationPlans> {
  const {virsh, libvirt, out} = services
  if (toCreate.length === 0) return {plans: new Map(), authorizedKey: ''}
  const facts = await inspectAccelerator(virsh, arch, libvirt.kvmDeviceCheck)
  const types = new Map(toCreate.map((m) => [m.name, chooseDomainType(m.accelerator, facts)]))
  for (const note of new Set([...types.values()].map((t) => t.note))) if (note) out.warn(note)
  await ensurePool(virsh, libvirt, out.info)
  await requirePoolSpace(virsh, libvirt)
  const boxes = await prepareBoxes(services, project, toCreate.map((m) => m.box), arch, insecure)
  const plans = new Map(toCreate.map((m) => [m.name, {box: boxes.get(boxKey(m.box))!, type: types.get(m.name)!}]))
  for (const m of toCreate) checkDiskSize(m, plans.get(m.name)!.box)
  return {plans, authorizedKey: await ensureProjectState(services.runner, project, services.home.dataDir)}
}

async function upOne(services: Services, project: Project, machine: MachineConfig, status: MachineStatus, create: Step[] | undefined, options: UpOptions): Promise<void> {
  const out = machineOutput(services.out, machine.name)
  if (status.state === 'running') {
    // Running is not ready: an `up` killed halfway (or libvirtd restarted under it) leaves a
    // machine that may still be booting. Checking costs one SSH round trip when it is ready.
    out.info(`already running${status.ip ? ` at ${status.ip}` : ''}; checking that it is ready`)
    const [, wait] = bootMachine(services, project, machine, status, out, Date.now(), options)
    await runSteps([wait!], {signal: services.signal, rollback: false})
    return
  }
  if (!create && !STARTABLE.includes(status.state)) {
    throw new VmError(`${machine.name} is ${status.state.replaceAll('_', ' ')}; vm can start it only from shut off or paused.`, {
      code: 'MACHINE_STATE_UNEXPECTED',
      hint: `Wait for it to settle, or power it off with \`vm halt --force ${machine.name}\`, then run \`vm up ${machine.name}\`.`,
    })
  }
  if (!create) {
    await requireDisk(services, machine, status)
    // Resumed on a disk that is still full, it would be paused again at its next write.
    if (await inspectPauseProblem(services.virsh, status)) await requirePoolSpace(services.virsh, services.libvirt, `${machine.name} to run again`)
    await warnDrift(services, machine, status, out)
  }
  const started = Date.now()
  if (create) {
    out.info(`creating from box ${boxLabel(machine.box)} (${machine.cpus} CPUs, ${formatSize(machine.memoryBytes)} memory, ${formatSize(machine.diskBytes)} disk)`)
  } else {
    out.info((await inspectSuspended(services.virsh, status)) ? 'resuming (was suspended)' : `starting (was ${status.state})`)
  }
  let cloudInitFailure: VmError | undefined
  const boot = bootMachine(services, project, machine, status, out, started, {...options, onCloudInitFailure: (error) => (cloudInitFailure = error)})
  await runSteps([...(create ?? []), ...boot], {
    signal: services.signal,
    ...testFaults(services.env),
    // Only a machine this run created is ever removed; an existing one is left as it is.
    rollback: create !== undefined && options.destroyOnError,
    onUndo: (step, error) => (error ? out.warn(`could not undo "${step.title}": ${String(error)}`) : out.info(step.makes ? `removed ${step.makes}` : `undone: ${step.title}`)),
    ledger: {book: services.ledger, machine: machine.name},
  })
  if (cloudInitFailure) throw cloudInitFailure
}

/** A machine whose overlay was deleted (with the pool's folder, say) cannot start; say why and how to recover. */
async function requireDisk(services: Services, machine: MachineConfig, status: MachineStatus): Promise<void> {
  const {virsh, libvirt} = services
  const overlay = overlayVolumeName(status.domain)
  if (await virsh.volumeInfo(libvirt.pool, overlay)) return
  throw new VmError(`${machine.name}'s disk (volume ${overlay} in pool ${libvirt.pool}) is gone, so it cannot start.`, {
    code: 'MACHINE_DISK_MISSING',
    hint: `Its data is lost with the disk: \`vm destroy -f ${machine.name}\` then \`vm up ${machine.name}\` makes it again.`,
  })
}

async function warnDrift(services: Services, machine: MachineConfig, status: MachineStatus, out: Output): Promise<void> {
  const xml = await services.virsh.domainXml(status.domain, {inactive: true})
  const drift = xml === undefined ? [] : describeDrift(machine, xml, status.facts)
  if (drift.length === 0) return
  out.warn(`the Vmfile changed what is fixed at creation: ${drift.join('; ')}. To apply it: \`vm destroy ${machine.name}\` then \`vm up ${machine.name}\`.`)
}

async function prepareBoxes(services: Services, project: Project, sources: readonly BoxSource[], arch: string, insecure: boolean): Promise<Map<string, PreparedBox>> {
  const prepared = new Map<string, PreparedBox>()
  // One at a time: two machines on one box must share a single download and import.
  for (const source of sources) {
    const key = boxKey(source)
    if (!prepared.has(key)) prepared.set(key, await prepareBox(services, await withRealBoxPath(project, source), arch, {insecure}))
  }
  return prepared
}

/** A box image on this host is read from where its path really leads, if inside the project or allowed. */
async function withRealBoxPath(project: Project, source: BoxSource): Promise<BoxSource> {
  if (source.kind !== 'url' || !isLocalBox(source.url)) return source
  const named = localBoxPath(source.url)
  const real = await project.grant.hostPath(named, 'box image')
  return real === named ? source : {...source, url: real}
}

function boxKey(source: BoxSource): string {
  return JSON.stringify(source)
}

function boxLabel(source: BoxSource): string {
  return source.kind === 'catalog' ? source.name : source.url
}

function checkDiskSize(machine: MachineConfig, box: PreparedBox): void {
  if (machine.diskBytes < box.virtualSize) {
    // Rounded up to whole MiB so that the hint is a size the Vmfile accepts.
    const needed = formatSize(Math.ceil(box.virtualSize / 2 ** 20) * 2 ** 20)
    throw new VmError(`${machine.name}: disk ${formatSize(machine.diskBytes)} is smaller than box ${box.name} (${needed}).`, {
      code: 'DISK_TOO_SMALL',
      exitCode: 2,
      hint: `Set \`disk: ${needed}\` or more in the Vmfile.`,
    })
  }
}

/**
 * Test hooks for the fault-injection tests: VM_TEST_FAULT_AFTER fails `up` right after the step
 * whose title starts with it, VM_TEST_HANG_AFTER makes it wait there until interrupted (for kill -9).
 */
function testFaults(env: NodeJS.ProcessEnv): Pick<RunStepsOptions, 'faultAfter' | 'hangAfter'> {
  return {
    ...(env.VM_TEST_FAULT_AFTER ? {faultAfter: env.VM_TEST_FAULT_AFTER} : {}),
    ...(env.VM_TEST_HANG_AFTER ? {hangAfter: env.VM_TEST_HANG_AFTER} : {}),
  }
}
