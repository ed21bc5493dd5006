import {randomBytes} from 'node:crypto'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {renderSeedIso} from '../cloudinit/seed.js'
import {renderDomainXml, type DomainSpec} from '../libvirt/domain-xml.js'
import {overlayVolumeName, seedVolumeName} from '../machine/names.js'
import type {Project} from '../machine/project.js'
import {GUEST_USER} from '../machine/ssh-target.js'
import type {Services} from '../services.js'
import {generateKeyPair} from '../ssh/keys.js'
import {pinHostKey, unpinHostKey} from '../ssh/known-hosts.js'
import type {MachineConfig, SyncedFolder} from '../vmfile/types.js'
import {planNics, type NicPlan} from '../machine/nic-plan.js'
import type {PrivateNetworkPlan} from '../network/private-network.js'
import type {PreparedBox} from './prepare-box.js'
import type {Step} from './run-steps.js'
import {machineOutput} from '../ui/output.js'

export type NewMachine = {
  readonly machine: MachineConfig
  readonly domain: string
  readonly box: PreparedBox
  readonly domainType: 'kvm' | 'qemu'
  readonly arch: string
  readonly toolVersion: string
  /** The project's public key, authorised for GUEST_USER. */
  readonly authorizedKey: string
  /** The user's cloud-config, already read (cloud_init), merged into the seed's user-data. */
  readonly userConfig?: Readonly<Record<string, unknown>>
  readonly privateNetwork?: PrivateNetworkPlan
  /** Where virtiofsd is, when a folder uses virtiofs. */
  readonly virtiofsdPath?: string
}

/** The tag a live folder is mounted by in the guest: its place in the machine's folders. */
export function folderTag(index: number): string {
  return `vm-folder-${index}`
}

/**
 * The steps that make a machine: overlay on the box, seed ISO with a fresh host key, domain.
 * Each undo removes exactly what its step made.
 */
export function createMachineSteps(services: Services, project: Project, spec: NewMachine): Step[] {
  const {virsh, libvirt} = services
  const overlay = overlayVolumeName(spec.domain)
  const seed = seedVolumeName(spec.domain)
  // Fixed for the machine's life: the instance-id (a new one reruns first-boot setup) and the MAC.
  const uuid = crypto.randomUUID()
  const mac = randomMac()
  const nics = planNics(spec.machine, mac, spec.privateNetwork, randomMac)
  const live = liveFolders(spec.machine)
  return [
    {
      // No domain has this name (the caller checked), so volumes of these names in vm's pool are
      // what an earlier `up` left when it was killed halfway: not a reason to fail.
      title: `clear leftover volumes of ${spec.domain}`,
      run: async () => {
        for (const volume of [overlay, seed]) {
          if (await virsh.deleteVolumeIfPresent(libvirt.pool, volume)) machineOutput(services.out, spec.machine.name).info(`removed leftover volume ${volume} of an earlier interrupted run`)
        }
      },
    },
    {
      title: `create overlay ${overlay}`,
      makes: `overlay volume ${overlay}`,
      run: () => virsh.createOverlayVolume(libvirt.pool, overlay, spec.machine.diskBytes, spec.box.volume),
      undo: () => virsh.deleteVolumeIfPresent(libvirt.pool, overlay),
    },
    {
      title: `create seed ISO ${seed}`,
      makes: `seed ISO volume ${seed}`,
      run: async () => {
        const hostKey = await generateKeyPair(services.runner, await scratchDir(project), `${spec.machine.name} host key`)
        const iso = renderSeedIso(
          {
            hostname: spec.machine.name,
            instanceId: uuid,
            user: GUEST_USER,
            authorizedKey: spec.authorizedKey,
            hostKey,
            ...(spec.userConfig ? {userConfig: spec.userConfig} : {}),
            ...(live.length > 0 ? {mounts: live.map(({tag, folder}) => ({tag, guestPath: folder.guestPath, fsType: folder.type as 'virtiofs' | '9p'}))} : {}),
            ...(nics.networkConfig ? {networkConfig: nics.networkConfig} : {}),
          },
          new Date(),
        )
        await uploadBytes(services, project, seed, iso)
        await pinHostKey(project.paths.knownHosts, spec.domain, hostKey.publicKey)
      },
      undo: async () => {
        await unpinHostKey(project.paths.knownHosts, spec.domain)
        await virsh.deleteVolumeIfPresent(libvirt.pool, seed)
      },
    },
    {
      title: `define domain ${spec.domain}`,
      makes: `domain ${spec.domain}`,
      run: async () => {
        // libvirt gets where each live folder really is, checked against what the user allowed.
        const real = await Promise.all(live.map(({folder}) => project.grant.hostPath(folder.hostPath, `${folder.type} folder`)))
        await virsh.defineDomain(renderDomainXml(domainSpec(services, project, spec, {uuid, mac, overlay, seed, nics, liveHostPaths: real})))
      },
      undo: async () => {
        const state = await virsh.domainState(spec.domain)
        if (state !== undefined) await virsh.removeDomain(spec.domain, state)
      },
    },
  ]
}

function domainSpec(
  services: Services,
  project: Project,
  spec: NewMachine,
  ids: {uuid: string; mac: string; overlay: string; seed: string; nics: NicPlan; liveHostPaths: readonly string[]},
): DomainSpec {
  const live = liveFolders(spec.machine)
  const {libvirt} = services
  return {
    name: spec.domain,
    uuid: ids.uuid,
    type: spec.domainType,
    title: `vm: ${spec.machine.name} (${project.dir})`,
    memoryBytes: spec.machine.memoryBytes,
    cpus: spec.machine.cpus,
    arch: spec.arch,
    pool: libvirt.pool,
    overlayVolume: ids.overlay,
    seedVolume: ids.seed,
    network: spec.machine.network ?? libvirt.network,
    mac: ids.mac,
    serialLogPath: join(libvirt.serialLogDir ?? '/var/log/libvirt/qemu', `${spec.domain}-serial.log`),
    owner: {projectDir: project.dir, machine: spec.machine.name, toolVersion: spec.toolVersion, boxSha256: spec.box.sha256, uid: process.getuid?.() ?? 0},
    ...(spec.box.x86_64Level ? {x86_64Level: spec.box.x86_64Level} : {}),
    extraInterfaces: ids.nics.extraInterfaces,
    qemuArgs: ids.nics.qemuArgs,
    filesystems: live.map(({tag, folder}, i) => ({driver: folder.type as 'virtiofs' | '9p', hostPath: ids.liveHostPaths[i]!, tag})),
    ...(spec.virtiofsdPath ? {virtiofsdPath: spec.virtiofsdPath} : {}),
  }
}

/** The folders shared live (9p, virtiofs), with their tags. */
function liveFolders(machine: MachineConfig): {tag: string; folder: SyncedFolder}[] {
  return machine.folders.flatMap((folder, index) => (folder.type === 'rsync' ? [] : [{tag: folderTag(index), folder}]))
}

/** A locally administered unicast MAC in QEMU's 52:54:00 range. */
export function randomMac(): string {
  return ['52', '54', '00', ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'))].join(':')
}

async function scratchDir(project: Project): Promise<string> {
  await mkdir(project.paths.tmpDir, {recursive: true, mode: 0o700})
  return project.paths.tmpDir
}

/** Puts BYTES into a new raw volume through libvirt (the file is only a hand-over, mode 0600). */
async function uploadBytes(services: Services, project: Project, volume: string, bytes: Uint8Array): Promise<void> {
  const file = join(await scratchDir(project), `${volume}.${randomBytes(4).toString('hex')}`)
  try {
    await writeFile(file, bytes, {mode: 0o600})
    await services.virsh.createVolume(services.libvirt.pool, volume, bytes.length, 'raw')
    await services.virsh.uploadVolume(services.libvirt.pool, volume, file)
  } finally {
    await rm(file, {force: true})
  }
}
