import {expect} from 'chai'

import {cidrsOverlap, formatCidr, formatIpv4, netmaskPrefix, parseCidr, parseIpv4} from '../../../src/network/ipv4.js'

const cidr = (text: string) => {
  const parsed = parseCidr(text)
  if (!parsed) throw new Error(`bad test CIDR ${text}`)
  return parsed
}

describe('network/ipv4', () => {
  it('parses and formats dotted quads across the whole range', () => {
    for (const ip of ['0.0.0.0', '10.130.226.1', '192.168.122.254', '255.255.255.255']) expect(formatIpv4(parseIpv4(ip)!)).to.equal(ip)
    expect(parseIpv4('255.255.255.255')).to.equal(2 ** 32 - 1)
    expect(parseIpv4('1.2.3.4')).to.equal(0x01020304)
  })

  for (const text of ['', '1.2.3', '1.2.3.4.5', '1.2.3.256', '01.2.3.4', '1.2.3.-1', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.0x1', '1..3.4', 'fd00::1', '1.2.3.4/24']) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      expect(parseIpv4(text)).to.equal(undefined)
    })
  }

  it('reduces a CIDR to its network and formats it back', () => {
    expect(formatCidr(cidr('192.168.122.1/24'))).to.equal('192.168.122.0/24')
    expect(formatCidr(cidr('172.16.5.9/20'))).to.equal('172.16.0.0/20')
    expect(formatCidr(cidr('10.1.2.3/32'))).to.equal('10.1.2.3/32')
    expect(formatCidr(cidr('10.1.2.3/0'))).to.equal('0.0.0.0/0')
  })

  it('refuses CIDRs without a prefix, with a prefix over 32, or with a bad address', () => {
    for (const text of ['10.0.0.0', '10.0.0.0/33', '10.0.0/8', '10.0.0.0/', 'fd00::/64']) expect(parseCidr(text), text).to.equal(undefined)
  })

  it('turns contiguous netmasks into prefix lengths and refuses the others', () => {
    expect(netmaskPrefix('255.255.255.0')).to.equal(24)
    expect(netmaskPrefix('255.255.240.0')).to.equal(20)
    expect(netmaskPrefix('255.255.255.255')).to.equal(32)
    expect(netmaskPrefix('0.0.0.0')).to.equal(0)
    expect(netmaskPrefix('255.0.255.0')).to.equal(undefined)
    expect(netmaskPrefix('nonsense')).to.equal(undefined)
  })

  it('sees overlap when either block contains the other, in both directions', () => {
    expect(cidrsOverlap(cidr('10.0.0.0/8'), cidr('10.130.226.0/24'))).to.equal(true)
    expect(cidrsOverlap(cidr('10.130.226.0/24'), cidr('10.0.0.0/8'))).to.equal(true)
    expect(cidrsOverlap(cidr('10.130.226.0/24'), cidr('10.130.226.128/25'))).to.equal(true)
    expect(cidrsOverlap(cidr('10.130.226.0/24'), cidr('10.130.227.0/24'))).to.equal(false)
    expect(cidrsOverlap(cidr('192.168.122.0/24'), cidr('10.0.0.0/8'))).to.equal(false)
  })
})
