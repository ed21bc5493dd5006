/**
 * What happens once a machine answers on SSH, outside the create-or-boot rollback (a machine
 * that booted is kept whatever fails here, as in Vagrant): live folders are checked, rsync
 * folders copied, provisioners run.
 */
import {CommandFailedError} from '../exec/runner.js'
import {InterruptedError, VmError} from '../errors.js'
import {syncFolder} from '../folders/sync-folder.js'
import type {Project} from '../machine/project.js'
import {sshTarget} from '../machine/ssh-target.js'
import {parseProvisionRecord, writeProvisionRecord, type ProvisionRecord} from '../provision/record.js'
import {runProvisioners} from '../provision/run-provisioners.js'
import {ProvisionerError, ProvisionFailedError} from '../provision/errors.js'
import type {Services} from '../services.js'
import {shellQuote} from '../exec/shell-quote.js'
import {sshArgs, type SshTarget} from '../ssh/ssh-args.js'
import {formatSeconds, type Output} from '../ui/output.js'
import {formatSize} from '../vmfile/size.js'
import type {MachineConfig, SyncedFolder} from '../vmfile/types.js'

/** When provisioners run: on a machine's first boot (auto), on every `up` (always), or not at all. */
export type ProvisionWhen = 'auto' | 'always' | 'never'

export type RunningMachine = {readonly name: string; readonly machine: MachineConfig; readonly domain: string; readonly ip: string; readonly created: boolean}

export async function afterBoot(services: Services, project: Project, running: RunningMachine, when: ProvisionWhen, out: Output): Promise<void> {
  const target = sshTarget(project, running.domain, running.ip)
  await checkLiveFolders(services, running.machine, target)
  await syncFolders(services, project, running.machine, target, out)
  const record = await readProvisionRecord(services, running.domain)
  if (running.machine.provisioners.length === 0) return
  // "First up" means: until the provisioners have been started once (Vagrant's sentinel file).
  if (when === 'always' || (when === 'auto' && (running.created || !record))) {
    await provision(services, project, running, target, out)
  } else if (record && record.state !== 'done') {
    const why = record.state === 'failed' ? `failed at ${record.failed ?? 'a provisioner'}` : 'was interrupted'
    out.warn(`provisioning ${why} earlier; run \`vm provision ${running.machine.name}\` to run it again.`)
  }
}

/** Runs the machine's provisioners and records the outcome in libvirt (see provision/record.ts). */
export async function provision(services: Services, project: Project, running: RunningMachine, target: SshTarget, out: Output): Promise<void> {
  const {virsh} = services
  const started = Date.now()
  await writeProvisionRecord(virsh, running.domain, {state: 'running', at: new Date().toISOString()})
  try {
    await runProvisioners({
      runner: services.runner,
      target,
      machine: running.machine.name,
      provisioners: running.machine.provisioners,
      projectPaths: project.paths,
      grant: project.grant,
      out,
      signal: services.signal,
    })
  } catch (error) {
    // An interrupt leaves the record at "running", which is what it means.
    if (error instanceof InterruptedError || services.signal.aborted) throw error
    const failed: ProvisionRecord = {state: 'failed', at: new Date().toISOString(), ...failureOf(error)}
    // The error that stopped provisioning matters more than a record we could not write.
    await writeProvisionRecord(virsh, running.domain, failed).catch(() => undefined)
    throw error
  }
  await writeProvisionRecord(virsh, running.domain, {state: 'done', at: new Date().toISOString()})
  out.info(`provisioned (${formatSeconds(Date.now() - started)})`)
}

function failureOf(error: unknown): {failed: string; status?: number} {
  if (error instanceof ProvisionFailedError) return {failed: error.label, ...(error.status === undefined ? {} : {status: error.status})}
  if (error instanceof ProvisionerError) return {failed: error.label}
  return {failed: error instanceof Error ? error.message : String(error)}
}

async function readProvisionRecord(services: Services, domain: string): Promise<ProvisionRecord | undefined> {
  const xml = await services.virsh.domainXml(domain)
  return xml === undefined ? undefined : parseProvisionRecord(xml)
}

/**
 * A live folder that is not mounted means the guest could not mount it (a kernel without 9p,
 * say): fail loudly rather than let the user work in an empty folder.
 */
async function checkLiveFolders(services: Services, machine: MachineConfig, target: SshTarget): Promise<void> {
  const live = machine.folders.filter((f) => f.type !== 'rsync')
  if (live.length === 0) return
  const test = live.map((f) => `mountpoint -q ${shellQuote([f.guestPath])} || echo ${shellQuote([f.guestPath])}`).join('; ')
  const result = await services.runner.run('ssh', sshArgs(target, {command: [test], batch: true, connectTimeoutSeconds: 10}), {signal: services.signal, timeoutMs: 60_000})
  const missing = result.stdout.split('\n').filter((line) => line !== '')
  if (missing.length === 0) return
  const folders = live.filter((f) => missing.includes(f.guestPath))
  const kinds = [...new Set(folders.map((f) => f.type))]
  throw new VmError(`${machine.name}: ${folders.map((f) => `${f.guestPath} (${f.type})`).join(', ')} ${folders.length === 1 ? 'is' : 'are'} not mounted in the machine.`, {
    code: 'FOLDER_NOT_MOUNTED',
    hint: kinds.includes('9p')
      ? "The guest's kernel may lack 9p (Debian's cloud kernel does): use `type: virtiofs`, or `type: rsync`. "
        + `See why with \`vm ssh ${machine.name} -- sudo mount -a -v\`.`
      : `See why with \`vm ssh ${machine.name} -- sudo mount -a -v\` and \`vm ssh ${machine.name} -- sudo dmesg | tail\`.`,
  })
}

/** Copies each rsync folder into the machine (`vm up`, `vm rsync`). */
export async function syncFolders(services: Services, project: Project, machine: MachineConfig, target: SshTarget, out: Output): Promise<void> {
  for (const folder of machine.folders.filter((f) => f.type === 'rsync')) {
    const started = Date.now()
    try {
      const real = {...folder, hostPath: await project.grant.hostPath(folder.hostPath, 'synced folder')}
      const {files, bytes} = await syncFolder({runner: services.runner, target, folder: real, tmpDir: project.paths.tmpDir, signal: services.signal})
      out.info(`synced ${describeFolder(project, folder)} (${files} files, ${formatBytes(bytes)}, ${formatSeconds(Date.now() - started)})`)
    } catch (error) {
      if (!(error instanceof CommandFailedError)) throw error
      throw new VmError(`${machine.name}: could not copy ${folder.hostPath} to ${folder.guestPath}.`, {
        code: 'FOLDER_SYNC_FAILED',
        detail: error.detail,
        hint: `The machine is running; fix the cause and run \`vm rsync ${machine.name}\`.`,
      })
    }
  }
}

export function describeFolder(project: Project, folder: SyncedFolder): string {
  const host = folder.hostPath.startsWith(`${project.dir}/`) ? `./${folder.hostPath.slice(project.dir.length + 1)}` : folder.hostPath === project.dir ? '.' : folder.hostPath
  return `${host} → ${folder.guestPath}`
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  const size = formatSize(Math.ceil(bytes / 1024) * 1024)
  return size.endsWith('bytes') ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : size
}
