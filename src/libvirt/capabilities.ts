import {parseXml, type XmlNode} from './xml.js'

/** The virtualization types (kvm, qemu) libvirt offers for ARCH, from `virsh capabilities`. Pure. */
export function parseGuestDomainTypes(xml: string, arch: string): string[] {
  const caps = parseXml(xml, ['guest', 'domain']).capabilities as XmlNode | undefined
  const guests = (caps?.guest ?? []) as XmlNode[]
  const types = new Set<string>()
  for (const guest of guests) {
    const guestArch = guest.arch as XmlNode | undefined
    if (guestArch?.['@_name'] !== arch) continue
    for (const domain of (guestArch.domain ?? []) as XmlNode[]) {
      const type = domain['@_type']
      if (typeof type === 'string') types.add(type)
    }
  }
  return [...types]
}
