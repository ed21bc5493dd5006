import {renderXml, type XmlNode} from './xml.js'

/** Our namespace for ownership data inside a domain's <metadata>. */
export const METADATA_NS = 'https://vmfile.dev/xmlns/machine/1'
export const METADATA_PREFIX = 'vm'
/** libvirt's namespace for QEMU arguments it has no XML for (port forwards on libvirt < 9.2). */
export const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0'

/** A NIC after the first: on another libvirt network, or on a host bridge. */
export type ExtraInterface =
  | {readonly kind: 'network'; readonly network: string; readonly mac: string}
  | {readonly kind: 'bridge'; readonly bridge: string; readonly mac: string}

/** A host folder shared live with the guest, mounted there by its tag. */
export type SharedFilesystem = {readonly driver: 'virtiofs' | '9p'; readonly hostPath: string; readonly tag: string}

/** Exactly the facts the domain XML needs; built by the machine layer, rendered here. */
export type DomainSpec = {
  readonly name: string
  readonly uuid: string
  /** 'kvm' for hardware acceleration, 'qemu' for TCG software emulation. */
  readonly type: 'kvm' | 'qemu'
  readonly title: string
  readonly memoryBytes: number
  readonly cpus: number
  readonly arch: string
  readonly pool: string
  readonly overlayVolume: string
  readonly seedVolume: string
  readonly network: string
  readonly mac: string
  /** Where libvirt (virtlogd) also writes the serial console. */
  readonly serialLogPath: string
  /** uid: the user who made the machine; on a libvirt host many users share, prune and --all-users go by it. */
  readonly owner: {readonly projectDir: string; readonly machine: string; readonly toolVersion: string; readonly boxSha256: string; readonly uid: number}
  /**
   * The x86-64 micro-architecture level the guest needs (RHEL 9 family: 2, RHEL 10 family: 3).
   * QEMU's default TCG model (qemu64) is level 1, so TCG then takes QEMU's `max` model instead.
   */
  readonly x86_64Level?: number
  readonly extraInterfaces?: readonly ExtraInterface[]
  readonly filesystems?: readonly SharedFilesystem[]
  /** Where virtiofsd is on the libvirt host; needed when a filesystem uses virtiofs. */
  readonly virtiofsdPath?: string
  /** Passed to QEMU as they are, through <qemu:commandline>. */
  readonly qemuArgs?: readonly string[]
}

/** Renders libvirt domain XML. Pure: the same spec gives the same bytes; every value is escaped. */
export function renderDomainXml(spec: DomainSpec): string {
  const virtiofs = (spec.filesystems ?? []).some((fs) => fs.driver === 'virtiofs')
  const qemuArgs = spec.qemuArgs ?? []
  return renderXml({
    domain: {
      '@_type': spec.type,
      ...(qemuArgs.length > 0 ? {'@_xmlns:qemu': QEMU_NS} : {}),
      name: spec.name,
      uuid: spec.uuid,
      // libvirt refuses a title with a newline; a project path may hold one.
      title: spec.title.replaceAll(/[\r\n]+/g, ' '),
      metadata: {[`${METADATA_PREFIX}:machine`]: ownership(spec.owner)},
      memory: {'@_unit': 'KiB', '#text': Math.floor(spec.memoryBytes / 1024)},
      // virtiofsd reads guest memory directly: it must be shared, and memfd needs no hugepages.
      ...(virtiofs ? {memoryBacking: {source: {'@_type': 'memfd'}, access: {'@_mode': 'shared'}}} : {}),
      vcpu: spec.cpus,
      os: {type: {'@_arch': spec.arch, '@_machine': 'q35', '#text': 'hvm'}, boot: {'@_dev': 'hd'}},
      features: {acpi: '', apic: ''},
      ...cpu(spec),
      clock: {'@_offset': 'utc'},
      on_poweroff: 'destroy',
      on_reboot: 'restart',
      on_crash: 'destroy',
      devices: devices(spec),
      ...(qemuArgs.length > 0 ? {'qemu:commandline': {'qemu:arg': qemuArgs.map((value) => ({'@_value': value}))}} : {}),
    },
  })
}

/**
 * host-model is the safe fast default where KVM works. TCG takes QEMU's default model, which is
 * enough for most distributions and cheapest to emulate, unless the box needs a newer baseline.
 */
function cpu(spec: DomainSpec): XmlNode {
  if (spec.type === 'kvm') return {cpu: {'@_mode': 'host-model'}}
  if ((spec.x86_64Level ?? 1) > 1 && spec.arch === 'x86_64') return {cpu: {'@_mode': 'maximum', '@_migratable': 'off'}}
  return {}
}

function ownership(owner: DomainSpec['owner']): XmlNode {
  const p = METADATA_PREFIX
  return {
    [`@_xmlns:${p}`]: METADATA_NS,
    [`${p}:project`]: owner.projectDir,
    [`${p}:name`]: owner.machine,
    [`${p}:box`]: {'@_sha256': owner.boxSha256},
    [`${p}:tool-version`]: owner.toolVersion,
    [`${p}:user`]: {'@_uid': owner.uid},
  }
}

function devices(spec: DomainSpec): XmlNode {
  return {
    disk: [
      {
        '@_type': 'volume',
        '@_device': 'disk',
        driver: {'@_name': 'qemu', '@_type': 'qcow2', '@_discard': 'unmap'},
        source: {'@_pool': spec.pool, '@_volume': spec.overlayVolume},
        target: {'@_dev': 'vda', '@_bus': 'virtio'},
      },
      {
        // virtio-scsi, not SATA: Debian's cloud kernel has no AHCI driver and would never see
        // the seed, leaving cloud-init silently on DataSourceNone (DESIGN.md §1).
        '@_type': 'volume',
        '@_device': 'cdrom',
        driver: {'@_name': 'qemu', '@_type': 'raw'},
        source: {'@_pool': spec.pool, '@_volume': spec.seedVolume},
        target: {'@_dev': 'sda', '@_bus': 'scsi'},
        readonly: '',
      },
    ],
    controller: {'@_type': 'scsi', '@_index': 0, '@_model': 'virtio-scsi'},
    interface: [{kind: 'network' as const, network: spec.network, mac: spec.mac}, ...(spec.extraInterfaces ?? [])].map(renderInterface),
    ...(spec.filesystems?.length ? {filesystem: spec.filesystems.map((fs) => renderFilesystem(fs, spec.virtiofsdPath))} : {}),
    // A pty gives `virsh console`; the log gives us the last lines to show when boot times out.
    serial: {'@_type': 'pty', log: {'@_file': spec.serialLogPath, '@_append': 'off'}, target: {'@_port': 0}},
    console: {'@_type': 'pty', target: {'@_type': 'serial', '@_port': 0}},
    // Early boot (sshd key checks, cloud-init) blocks on entropy without a hardware RNG.
    rng: {'@_model': 'virtio', backend: {'@_model': 'random', '#text': '/dev/urandom'}},
    memballoon: {'@_model': 'virtio'},
  }
}

function renderInterface(nic: ExtraInterface): XmlNode {
  return {
    '@_type': nic.kind,
    mac: {'@_address': nic.mac},
    source: nic.kind === 'network' ? {'@_network': nic.network} : {'@_bridge': nic.bridge},
    model: {'@_type': 'virtio'},
  }
}

function renderFilesystem(fs: SharedFilesystem, virtiofsdPath: string | undefined): XmlNode {
  if (fs.driver === 'virtiofs') {
    return {
      '@_type': 'mount',
      '@_accessmode': 'passthrough',
      driver: {'@_type': 'virtiofs'},
      ...(virtiofsdPath ? {binary: {'@_path': virtiofsdPath}} : {}),
      source: {'@_dir': fs.hostPath},
      target: {'@_dir': fs.tag},
    }
  }
  // mapped: files the guest creates belong to the host user QEMU runs as, with the guest's
  // owner and mode kept in extended attributes, so the guest's root cannot chown host files.
  return {'@_type': 'mount', '@_accessmode': 'mapped', source: {'@_dir': fs.hostPath}, target: {'@_dir': fs.tag}}
}
