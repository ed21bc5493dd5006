/**
 * Parsers for libvirt's snapshot texts (virsh 9.0, LC_ALL=C). Pure; the fixtures in the tests
 * were captured from real virsh on vm's domains.
 */
import {parseMigrationBlocker} from './virsh-parse.js'
import {parseXml, xmlAttr, xmlChild, xmlText, type XmlNode} from './xml.js'

/** One snapshot as `virsh snapshot-dumpxml` describes it. */
export type SnapshotFacts = {
  readonly name: string
  readonly description?: string
  /** When it was taken, ISO 8601 in UTC. */
  readonly createdAt: string
  /**
   * The domain's state when it was taken, in snake_case as parseDomainState gives it: running
   * and paused snapshots hold the memory too, and restoring one leaves the domain in that state.
   */
  readonly state: string
  readonly parent?: string
  /** Whether the memory is in the snapshot (a running or paused domain's). */
  readonly memory: boolean
  /** internal: inside the qcow2 overlay (what vm makes); external: in files beside it (made by hand). */
  readonly location: 'internal' | 'external'
}

/** Parses the `<domainsnapshot>` document of `virsh snapshot-dumpxml`. */
export function parseSnapshotXml(xml: string): SnapshotFacts {
  const root = (parseXml(xml, ['disk']).domainsnapshot ?? {}) as XmlNode
  const seconds = Number(xmlText(root.creationTime) ?? Number.NaN)
  const memoryMode = xmlAttr(xmlChild(root, 'memory'), 'snapshot')
  const disks = (xmlChild(xmlChild(root, 'disks'), 'disk') as unknown as XmlNode[] | undefined) ?? []
  const external = memoryMode === 'external' || disks.some((disk) => xmlAttr(disk, 'snapshot') === 'external')
  const description = xmlText(root.description)
  const parent = xmlText(xmlChild(xmlChild(root, 'parent'), 'name'))
  return {
    name: xmlText(root.name) ?? '',
    ...(description ? {description} : {}),
    createdAt: Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : '',
    state: snakeCase(xmlText(root.state) ?? 'unknown'),
    ...(parent ? {parent} : {}),
    memory: memoryMode !== undefined && memoryMode !== 'no',
    location: external ? 'external' : 'internal',
  }
}

/** "shutoff", "disk-snapshot" → "disk_snapshot": the same words parseDomainState gives. */
function snakeCase(state: string): string {
  return state.trim().toLowerCase().replaceAll(/[\s-]+/g, '_')
}

/** Why a virsh snapshot command failed, as far as vm acts on it. */
export type SnapshotFailure =
  /** The domain has a snapshot of that name already (a race with another client). */
  | {readonly kind: 'exists'}
  /** snapshot-current on a domain without one. */
  | {readonly kind: 'no-current'}
  /**
   * QEMU cannot save the memory: a memory snapshot is a migration into the disk, and a device
   * that cannot migrate (virtiofs's vhost-user-fs) blocks it. BLOCKER is libvirt's reason.
   */
  | {readonly kind: 'memory-blocked'; readonly blocker: string; readonly liveFolder: boolean}
  /** libvirt wants --force to revert (e.g. a snapshot without a domain definition). */
  | {readonly kind: 'needs-force'; readonly reason: string}
  | {readonly kind: 'other'}

/** Classifies virsh's stderr from snapshot-create-as, snapshot-current and snapshot-revert. */
export function classifySnapshotError(stderr: string): SnapshotFailure {
  if (/domain moment \S.* already exists|snapshot .* already exists/i.test(stderr)) return {kind: 'exists'}
  if (/has no current snapshot|does not have a current snapshot/i.test(stderr)) return {kind: 'no-current'}
  const blocked = parseMigrationBlocker(stderr)
  if (blocked) return {kind: 'memory-blocked', ...blocked}
  const force = /revert requires force: (.+)/i.exec(stderr)?.[1]?.trim()
  if (force !== undefined) return {kind: 'needs-force', reason: force}
  return {kind: 'other'}
}
