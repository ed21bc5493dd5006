import {CommandFailedError} from '../exec/runner.js'
import type {Virsh} from '../libvirt/virsh.js'
import {parseXml, renderXml, type XmlNode} from '../libvirt/xml.js'

/** Our namespace for the provisioning record inside a domain's <metadata>. */
export const PROVISION_NS = 'https://vmfile.dev/xmlns/provision/1'
/** The prefix we ask libvirt for; libvirt may keep another one, so reads go by namespace. */
export const PROVISION_KEY = 'vmprov'

/**
 * Whether a machine's provisioners ran, kept in libvirt (the source of truth) so that it goes
 * with the domain: a destroyed machine takes its record along.
 */
export type ProvisionRecord =
  /** `running`: started and not finished (a crash or Ctrl-C leaves this). */
  | {readonly state: 'running' | 'done'; readonly at: string}
  | {
      readonly state: 'failed'
      readonly at: string
      /** The failed provisioner's label: "shell #2 (setup.sh)". */
      readonly failed: string
      /** Its exit status; absent when it failed without one (e.g. the host's tar failed). */
      readonly status?: number
    }

const STATES = new Set(['running', 'done', 'failed'])

/**
 * The element libvirt stores, without a namespace: `virsh metadata --key` puts it in ours (an
 * element that declared one itself would keep its own prefix beside libvirt's). Escaped by the builder.
 */
export function renderProvisionRecord(record: ProvisionRecord): string {
  const attributes: XmlNode = {'@_state': record.state, '@_at': record.at}
  if (record.state === 'failed') {
    // XML turns a newline in an attribute into a space on reading; say so on writing instead.
    attributes['@_failed'] = record.failed.replaceAll(/[\r\n]+/g, ' ')
    if (record.status !== undefined) attributes['@_status'] = record.status
  }
  return renderXml({provision: attributes}).trim()
}

/**
 * Finds our record in `virsh dumpxml` output by namespace, whatever prefix libvirt kept (ours, the
 * one in the XML it was given, or a default namespace). Undefined when there is none or it is
 * not one we understand: treated as "never provisioned".
 */
export function parseProvisionRecord(domainXml: string): ProvisionRecord | undefined {
  const domain = parseXml(domainXml).domain
  const metadata = isNode(domain) ? domain.metadata : undefined
  if (!isNode(metadata)) return undefined
  for (const [key, value] of Object.entries(metadata)) {
    const [prefix, local] = key.includes(':') ? key.split(':', 2) : ['', key]
    if (local !== 'provision' || !isNode(value)) continue
    if (value[prefix ? `@_xmlns:${prefix}` : '@_xmlns'] !== PROVISION_NS) continue
    return recordOf(value)
  }
  return undefined
}

function recordOf(node: XmlNode): ProvisionRecord | undefined {
  const state = node['@_state']
  const at = node['@_at']
  if (typeof state !== 'string' || !STATES.has(state) || typeof at !== 'string') return undefined
  if (state !== 'failed') return {state: state as 'running' | 'done', at}
  const failed = typeof node['@_failed'] === 'string' ? node['@_failed'] : ''
  const status = typeof node['@_status'] === 'string' && /^\d+$/.test(node['@_status']) ? Number(node['@_status']) : undefined
  return status === undefined ? {state, at, failed} : {state, at, failed, status}
}

/**
 * Records RECORD in the domain's metadata, replacing an earlier one. On a running domain
 * `--config` alone changes only the next boot's definition, invisible in `dumpxml` until then;
 * so both `--live --config`, and `--config` alone where libvirt answers that the domain is not
 * running (libvirt 9.0 refuses `--live` on a shut-off domain). Trying live first costs nothing in
 * the usual case (provisioning happens on a running machine) and has no race with a state query.
 */
export async function writeProvisionRecord(virsh: Virsh, domain: string, record: ProvisionRecord): Promise<void> {
  try {
    await virsh.setDomainMetadata(domain, PROVISION_NS, PROVISION_KEY, renderProvisionRecord(record), true)
  } catch (error) {
    if (!(error instanceof CommandFailedError && /domain is not running/i.test(error.result.stderr))) throw error
    await virsh.setDomainMetadata(domain, PROVISION_NS, PROVISION_KEY, renderProvisionRecord(record), false)
  }
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
