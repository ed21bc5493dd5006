import {expect} from 'chai'

import {parseGuestDomainTypes} from '../../../src/libvirt/capabilities.js'
import {readCapture} from '../fixture.js'

/* `virsh capabilities` of libvirt 9.0 on the test host (fixtures/capture.sh). */
const capabilities = readCapture(new URL('fixtures/capabilities.txt', import.meta.url))

describe('libvirt/capabilities', () => {
  it('lists the domain types libvirt offers for x86_64, in its order', () => {
    expect(parseGuestDomainTypes(capabilities, 'x86_64')).to.deep.equal(['qemu', 'kvm'])
  })

  it('reads each architecture on its own', () => {
    expect(parseGuestDomainTypes(capabilities, 'i686')).to.deep.equal(['qemu', 'kvm'])
    expect(parseGuestDomainTypes(capabilities, 'aarch64')).to.deep.equal([])
  })

  it('offers only qemu where libvirt has no KVM (no <domain type="kvm"/>)', () => {
    const noKvm = capabilities.replaceAll("      <domain type='kvm'/>\n", '')
    expect(noKvm).to.not.equal(capabilities)
    expect(parseGuestDomainTypes(noKvm, 'x86_64')).to.deep.equal(['qemu'])
  })

  it('copes with one guest and one domain type (elements that are not repeated)', () => {
    const xml = "<capabilities><guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/></arch></guest></capabilities>"
    expect(parseGuestDomainTypes(xml, 'x86_64')).to.deep.equal(['qemu'])
  })

  it('gives nothing for output without guests', () => {
    expect(parseGuestDomainTypes('<capabilities><host/></capabilities>', 'x86_64')).to.deep.equal([])
  })
})
