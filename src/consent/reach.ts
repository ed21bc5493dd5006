/**
 * What a Vmfile asks for that reaches beyond its project: host paths outside the project folder
 * (or into its `.vm/`, where the project's private key lives), ansible (which runs the
 * repository's playbook, roles and plugins on the host), forwarded ports on an address other than
 * loopback, a NIC on a host bridge, a libvirt network other than `default`. Each needs the user's
 * consent (see gate.ts). Pure: where paths really lead is found by inspect-reach.ts.
 */
import {basename} from 'node:path'

import type {MachineConfig, Vmfile} from '../vmfile/types.js'

export type ReachKind = 'host-path' | 'ansible' | 'port' | 'bridge' | 'network'

export type ReachItem = {
  readonly kind: ReachKind
  /** The machines that ask for it. */
  readonly machines: readonly string[]
  /** One line for people: what is reached, and how. */
  readonly text: string
  /** host-path only: where the path really leads (symlinks resolved). */
  readonly realPath?: string
}

/** A host path the Vmfile names, and what it is for. */
export type NamedHostPath = {
  readonly machine: string
  readonly path: string
  /** "folder (virtiofs, read-write by the guest)", "file provisioner source", ... */
  readonly use: string
}

/** Every host path in the Vmfile, per machine. */
export function hostPathsOf(vmfile: Vmfile): NamedHostPath[] {
  return vmfile.machines.flatMap((machine) => machinePaths(machine))
}

function machinePaths(machine: MachineConfig): NamedHostPath[] {
  const named: NamedHostPath[] = []
  const add = (path: string, use: string) => named.push({machine: machine.name, path, use})
  if (machine.box.kind === 'url' && isLocalBox(machine.box.url)) add(localBoxPath(machine.box.url), 'box image')
  if (machine.cloudInit?.kind === 'file') add(machine.cloudInit.path, 'cloud_init file')
  for (const folder of machine.folders) {
    add(folder.hostPath, folder.type === 'rsync' ? 'folder copied into the guest (rsync)' : `folder shared live with the guest (${folder.type}, the guest can write to it)`)
  }
  for (const p of machine.provisioners) {
    if (p.kind === 'file') add(p.source, 'file provisioner source, copied into the guest')
    if (p.kind === 'shell' && p.path) add(p.path, 'shell provisioner script')
    if (p.kind === 'ansible') add(p.playbook, 'ansible playbook')
  }
  return named
}

export function isLocalBox(url: string): boolean {
  return url.startsWith('/') || url.startsWith('file://')
}

export function localBoxPath(url: string): string {
  return url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url
}

/** True when REAL is the project folder or inside it, and not in its `.vm/`. */
export function isInsideProject(real: string, projectReal: string): boolean {
  const stateDir = `${projectReal}/.vm`
  if (real === stateDir || real.startsWith(`${stateDir}/`)) return false
  return real === projectReal || real.startsWith(`${projectReal}/`)
}

/**
 * The items of VMFILE that need consent. REALOF gives where each named host path really leads
 * (its realpath, or the path itself when nothing is there yet); PROJECTREAL is the project's.
 */
export function listReach(vmfile: Vmfile, projectReal: string, realOf: (path: string) => string): ReachItem[] {
  const items = new Map<string, {kind: ReachKind; machines: string[]; text: string; realPath?: string}>()
  const add = (key: string, machine: string, item: Omit<ReachItem, 'machines'>) => {
    const existing = items.get(key)
    if (existing) {
      if (!existing.machines.includes(machine)) existing.machines.push(machine)
    } else {
      items.set(key, {...item, machines: [machine]})
    }
  }
  for (const named of hostPathsOf(vmfile)) {
    const real = realOf(named.path)
    if (isInsideProject(real, projectReal)) continue
    const via = real === named.path ? '' : ` (named as ${named.path})`
    const inStateDir = real === `${projectReal}/.vm` || real.startsWith(`${projectReal}/.vm/`)
    const where = inStateDir ? "in the project's .vm/, beside its private key" : 'outside the project'
    add(`path:${real}:${named.use}`, named.machine, {kind: 'host-path', text: `host path ${real}${via}, ${where}: ${named.use}`, realPath: real})
  }
  for (const machine of vmfile.machines) {
    for (const p of machine.provisioners) {
      if (p.kind === 'ansible') add(`ansible:${p.playbook}`, machine.name, {kind: 'ansible', text: `ansible-playbook runs ${basename(p.playbook)} on the host, with the roles, plugins and ansible.cfg beside it (${p.playbook})`})
    }
    for (const port of machine.ports) {
      if (isLoopback(port.hostIp)) continue
      add(`port:${port.hostIp}:${port.hostPort}/${port.protocol}`, machine.name, {
        kind: 'port',
        text: `port ${port.hostIp}:${port.hostPort}/${port.protocol} open to ${port.hostIp === '0.0.0.0' ? 'every network the host is on' : `the network of ${port.hostIp}`}, forwarded to the guest's port ${port.guestPort}`,
      })
    }
    if (machine.bridge) add(`bridge:${machine.bridge}`, machine.name, {kind: 'bridge', text: `a NIC on the host bridge ${machine.bridge}: the guest is on the host's LAN`})
    if (machine.network && machine.network !== 'default') add(`network:${machine.network}`, machine.name, {kind: 'network', text: `the libvirt network ${machine.network} instead of default`})
  }
  return [...items.values()]
}

function isLoopback(ip: string): boolean {
  return /^127\./.test(ip)
}

/** "host path /etc (named as ./etc), outside the project: ... [web, db]" */
export function renderReachItem(item: ReachItem): string {
  return `${item.text} [${item.machines.join(', ')}]`
}
