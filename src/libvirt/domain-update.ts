import {XMLBuilder, XMLParser} from 'fast-xml-parser'

import {QEMU_NAMESPACE} from '../ports/qemu-args.js'

/**
 * Changes the settings of an existing domain definition that take effect at its next start
 * (memory, CPUs, the QEMU arguments of port forwards) and leaves everything else — UUID, MACs,
 * disks, PCI addresses, libvirt's own additions — exactly as libvirt wrote it. The XML is parsed
 * with its order kept, so devices come back in the order libvirt gave them.
 */
export type RestartSettings = {
  readonly memoryBytes: number
  readonly cpus: number
  /** The arguments under <qemu:commandline>; [] removes the element. */
  readonly qemuArgs: readonly string[]
}

type OrderedNode = {[name: string]: OrderedNode[] | string | Record<string, string>} & {':@'?: Record<string, string>}

const OPTIONS = {ignoreAttributes: false, attributeNamePrefix: '@_', preserveOrder: true, parseTagValue: false, parseAttributeValue: false, trimValues: false} as const

export function updateDomainXml(xml: string, settings: RestartSettings): string {
  const document = new XMLParser(OPTIONS).parse(xml) as OrderedNode[]
  const root = document.find((n) => 'domain' in n)
  const domain = root?.domain as OrderedNode[] | undefined
  if (!root || !domain) throw new Error('updateDomainXml: no <domain> element')
  const kib = String(Math.floor(settings.memoryBytes / 1024))
  setElement(domain, 'memory', kib, {'@_unit': 'KiB'})
  setElement(domain, 'currentMemory', kib, {'@_unit': 'KiB'})
  setElement(domain, 'vcpu', String(settings.cpus))
  const at = domain.findIndex((node) => 'qemu:commandline' in node)
  const commandline: OrderedNode = {'qemu:commandline': settings.qemuArgs.map((value) => ({'qemu:arg': [], ':@': {'@_value': value}}))}
  if (at !== -1 && settings.qemuArgs.length === 0) domain.splice(at, 1)
  else if (at !== -1) domain[at] = commandline
  else if (settings.qemuArgs.length > 0) {
    domain.push(commandline)
    root[':@'] = {...root[':@'], '@_xmlns:qemu': QEMU_NAMESPACE}
  }
  return new XMLBuilder({...OPTIONS, format: false, suppressEmptyNode: true}).build(document) as string
}

/** Sets the text of the element NAME (added when missing), keeping its other attributes. */
function setElement(parent: OrderedNode[], name: string, text: string, attributes: Record<string, string> = {}): void {
  const node = parent.find((n) => name in n)
  if (node) {
    node[name] = [{'#text': text} as unknown as OrderedNode]
    node[':@'] = {...node[':@'], ...attributes}
    return
  }
  parent.push({[name]: [{'#text': text} as unknown as OrderedNode], ...(Object.keys(attributes).length > 0 ? {':@': attributes} : {})} as OrderedNode)
}
