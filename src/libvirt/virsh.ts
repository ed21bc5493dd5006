import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {CommandFailedError, type RunOptions, type Runner} from '../exec/runner.js'
import {diskFullError, VmError} from '../errors.js'
import {classifyVirshError, parseDomainState, parseDomainStateReason, parseKeyValues, parseNameList, parseVolumeList, type DhcpLease, parseDhcpLeases} from './virsh-parse.js'
import {renderXml} from './xml.js'

const VIRSH_TIMEOUT_MS = 120_000

/**
 * Thin calls to virsh. Every call names its connection URI explicitly, so a user's
 * LIBVIRT_DEFAULT_URI or a remote URI never changes which libvirt we talk to by accident.
 * Reads return undefined for "does not exist"; anything else that fails throws.
 */
export class Virsh {
  constructor(
    private readonly runner: Runner,
    readonly uri: string,
  ) {}

  /**
   * Runs `virsh -c URI ...args`, turning "cannot reach libvirt" into one clear error. A call that
   * hangs (a libvirtd stuck re-probing QEMU does that) ends after two minutes unless the caller
   * says otherwise: a stuck daemon must give an error, not a frozen command.
   */
  async run(args: readonly string[], options: RunOptions = {}): Promise<string> {
    try {
      const {stdout} = await this.runner.run('virsh', ['-c', this.uri, ...args], {timeoutMs: VIRSH_TIMEOUT_MS, ...options})
      return stdout
    } catch (error) {
      if (error instanceof CommandFailedError) {
        const failure = classifyVirshError(error.result.stderr)
        if (failure === 'no-socket' || failure === 'connect-refused') throw new LibvirtUnreachableError(this.uri, error)
        if (failure === 'permission-denied') throw new LibvirtPermissionError(this.uri, error)
        if (failure === 'no-space') throw diskFullError(`virsh ${args[0] ?? ''}`.trim(), error)
      }
      throw error
    }
  }

  /** Like run(), but a "not found" failure gives undefined. */
  async query(args: readonly string[]): Promise<string | undefined> {
    try {
      return await this.run(args)
    } catch (error) {
      if (error instanceof CommandFailedError && classifyVirshError(error.result.stderr) === 'not-found') return undefined
      throw error
    }
  }

  /** Checks that libvirt answers; returns the hypervisor's version line. */
  async version(): Promise<string> {
    return this.run(['version'])
  }

  async domainState(name: string): Promise<string | undefined> {
    const out = await this.query(['domstate', name])
    return out === undefined ? undefined : parseDomainState(out)
  }

  /** libvirt's reason for the state ("I/O error" for a guest QEMU paused on a failed write). */
  async domainStateReason(name: string): Promise<string | undefined> {
    const out = await this.query(['domstate', '--reason', name])
    return out === undefined ? undefined : parseDomainStateReason(out).reason
  }

  async domainXml(name: string, options: {inactive?: boolean} = {}): Promise<string | undefined> {
    return this.query(['dumpxml', ...(options.inactive ? ['--inactive'] : []), name])
  }

  async listDomains(): Promise<string[]> {
    return parseNameList(await this.run(['list', '--all', '--name']))
  }

  /** Defines (or redefines, when the XML carries the existing UUID) a persistent domain. */
  async defineDomain(xml: string): Promise<void> {
    await this.runWithXmlFile('define', xml)
  }

  /** Runs `virsh COMMAND FILE` with XML in a private temp file (define, net-define, ...). */
  async runWithXmlFile(command: string, xml: string): Promise<void> {
    // virsh reads a file by name; /dev/stdin fails on the socket Node gives a child as stdin.
    const dir = await mkdtemp(join(tmpdir(), 'vm-xml-'))
    try {
      const file = join(dir, `${command}.xml`)
      await writeFile(file, xml, {mode: 0o600})
      await this.run([command, file])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  }

  async startDomain(name: string): Promise<void> {
    await this.run(['start', name])
  }

  /** Asks the guest to power off (ACPI); returns at once. */
  async shutdownDomain(name: string): Promise<void> {
    await this.run(['shutdown', name])
  }

  /** Powers the domain off at once, like pulling the plug. */
  async destroyDomain(name: string): Promise<void> {
    await this.run(['destroy', name])
  }

  async undefineDomain(name: string): Promise<void> {
    await this.run(['undefine', name, '--managed-save', '--snapshots-metadata'])
  }

  /** Powers the domain off unless its STATE is shutoff, then undefines it. */
  async removeDomain(name: string, state: string): Promise<void> {
    if (state !== 'shutoff') await this.destroyDomain(name)
    await this.undefineDomain(name)
  }

  async networkInfo(name: string): Promise<Record<string, string> | undefined> {
    const out = await this.query(['net-info', name])
    return out === undefined ? undefined : parseKeyValues(out)
  }

  async startNetwork(name: string): Promise<void> {
    await this.run(['net-start', name])
  }

  async dhcpLeases(network: string, mac: string): Promise<DhcpLease[]> {
    return parseDhcpLeases(await this.run(['net-dhcp-leases', network, '--mac', mac]))
  }

  async poolInfo(name: string): Promise<Record<string, string> | undefined> {
    const out = await this.query(['pool-info', name])
    return out === undefined ? undefined : parseKeyValues(out)
  }

  async definePool(name: string, targetPath: string): Promise<void> {
    await this.run(['pool-define-as', name, 'dir', '--target', targetPath])
  }

  async buildPool(name: string): Promise<void> {
    await this.run(['pool-build', name])
  }

  async startPool(name: string): Promise<void> {
    await this.run(['pool-start', name])
  }

  async autostartPool(name: string): Promise<void> {
    await this.run(['pool-autostart', name])
  }

  async volumeInfo(pool: string, volume: string): Promise<Record<string, string> | undefined> {
    const out = await this.query(['vol-info', '--bytes', '--pool', pool, volume])
    return out === undefined ? undefined : parseKeyValues(out)
  }

  async volumePath(pool: string, volume: string): Promise<string | undefined> {
    const out = await this.query(['vol-path', '--pool', pool, volume])
    return out?.trim()
  }

  async createVolume(pool: string, volume: string, capacityBytes: number, format: 'qcow2' | 'raw'): Promise<void> {
    await this.run(['vol-create-as', pool, volume, String(capacityBytes), '--format', format])
  }

  /** A qcow2 overlay on BACKING; the backing format is stated so QEMU never probes it. */
  async createOverlayVolume(pool: string, volume: string, capacityBytes: number, backing: string): Promise<void> {
    await this.run([
      'vol-create-as', pool, volume, String(capacityBytes),
      '--format', 'qcow2', '--backing-vol', backing, '--backing-vol-format', 'qcow2',
    ])
  }

  /** Streams a local file into a volume through libvirt, so the same code serves a remote host. */
  async uploadVolume(pool: string, volume: string, file: string): Promise<void> {
    // Multi-gigabyte images take as long as they take; no deadline here.
    await this.run(['vol-upload', '--pool', pool, volume, file], {timeoutMs: undefined})
  }

  /** The names of the pool's volumes. */
  /** Copies a volume's bytes into FILE on this host (libvirt streams them, remote or local). */
  async downloadVolume(pool: string, volume: string, file: string): Promise<void> {
    await this.run(['vol-download', '--pool', pool, volume, file])
  }

  async listVolumes(pool: string): Promise<string[]> {
    return parseVolumeList(await this.run(['vol-list', '--pool', pool]))
  }

  async volumeXml(pool: string, volume: string): Promise<string | undefined> {
    return this.query(['vol-dumpxml', '--pool', pool, volume])
  }

  /** Copies a volume from another pool of the same connection; libvirt does the copy. */
  async cloneVolumeFrom(pool: string, volume: string, fromPool: string, fromVolume: string, capacityBytes: number): Promise<void> {
    const xml = renderXml({volume: {name: volume, capacity: {'@_unit': 'bytes', '#text': capacityBytes}, target: {format: {'@_type': 'qcow2'}}}})
    const dir = await mkdtemp(join(tmpdir(), 'vm-vol-'))
    try {
      await writeFile(join(dir, 'volume.xml'), xml)
      await this.run(['vol-create-from', pool, join(dir, 'volume.xml'), '--inputpool', fromPool, fromVolume], {timeoutMs: undefined})
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  }

  /** The volumes of POOL; empty when there is no such pool (nothing of vm's can be there). */
  async listVolumesIfPool(pool: string): Promise<string[]> {
    const out = await this.query(['vol-list', '--pool', pool])
    return out === undefined ? [] : parseVolumeList(out)
  }

  async destroyPool(name: string): Promise<void> {
    await this.run(['pool-destroy', name])
  }

  /** Makes libvirt measure the pool again: it keeps the numbers of its last refresh. */
  async refreshPool(name: string): Promise<void> {
    await this.run(['pool-refresh', name])
  }

  /** `pool-info --bytes` as virsh prints it (sizes in bytes); undefined when there is no such pool. */
  async poolInfoInBytes(name: string): Promise<string | undefined> {
    return this.query(['pool-info', '--bytes', name])
  }

  /** `virsh capabilities`: the host's and each guest architecture's XML. */
  async capabilities(): Promise<string> {
    return this.run(['capabilities'])
  }

  /** Continues a paused domain. */
  async resumeDomain(name: string): Promise<void> {
    await this.run(['resume', name])
  }

  /**
   * Hands the terminal to `virsh console` (Ctrl-] leaves) and returns its exit status; no
   * deadline, as the session lasts as long as the user wants.
   */
  async attachConsole(domain: string, force: boolean): Promise<number> {
    const result = await this.runner.run('virsh', ['-c', this.uri, 'console', domain, ...(force ? ['--force'] : [])], {stdio: 'inherit', timeoutMs: undefined})
    return result.exitCode
  }

  /** Sets our element KEY of namespace NS in the domain's metadata: in the persistent config, and the live state too when LIVE. */
  async setDomainMetadata(domain: string, ns: string, key: string, xml: string, live: boolean): Promise<void> {
    await this.run(['metadata', domain, ns, '--key', key, '--set', xml, ...(live ? ['--live'] : []), '--config'])
  }

  /** The network's XML (live when it runs), or undefined when there is no such network. */
  async networkXml(name: string): Promise<string | undefined> {
    return this.query(['net-dumpxml', name])
  }

  /** Every network, active or not. */
  async listNetworks(): Promise<string[]> {
    return parseNameList(await this.run(['net-list', '--all', '--name']))
  }

  /** Defines a persistent network from XML. */
  async defineNetwork(xml: string): Promise<void> {
    await this.runWithXmlFile('net-define', xml)
  }

  /** Starts the network with libvirtd from now on (after a host reboot machines find it running). */
  async autostartNetwork(name: string): Promise<void> {
    await this.run(['net-autostart', name])
  }

  /** Stops an active network: its bridge and dnsmasq go away. */
  async destroyNetwork(name: string): Promise<void> {
    await this.run(['net-destroy', name])
  }

  async undefineNetwork(name: string): Promise<void> {
    await this.run(['net-undefine', name])
  }

  async deleteVolume(pool: string, volume: string): Promise<void> {
    await this.run(['vol-delete', '--pool', pool, volume])
  }

  /** Deletes the volume if it exists; says whether there was one. For undo and destroy, which must tolerate half-done work. */
  async deleteVolumeIfPresent(pool: string, volume: string): Promise<boolean> {
    if (!(await this.volumeInfo(pool, volume))) return false
    await this.deleteVolume(pool, volume)
    return true
  }
}

export class LibvirtUnreachableError extends VmError {
  constructor(uri: string, cause: CommandFailedError) {
    super(`Cannot reach libvirt at ${uri}: is libvirtd running?`, {
      code: 'LIBVIRT_UNREACHABLE',
      detail: cause.detail,
      hint: 'Start it with `sudo systemctl start libvirtd` (on hosts without systemd: `sudo libvirtd -d`), then check with `virsh -c ' + uri + ' version`.',
      cause,
    })
  }
}

export class LibvirtPermissionError extends VmError {
  constructor(uri: string, cause: CommandFailedError) {
    super(`No permission to use libvirt at ${uri}.`, {
      code: 'LIBVIRT_PERMISSION_DENIED',
      detail: cause.detail,
      hint: 'Add yourself to the libvirt group with `sudo adduser "$USER" libvirt`, then log out and in again (or run `newgrp libvirt`).',
      cause,
    })
  }
}
