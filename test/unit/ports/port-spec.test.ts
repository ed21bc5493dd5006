import {expect} from 'chai'

import {findDuplicateHostPorts, formatPortForward, isIpv4, parsePortSpec} from '../../../src/ports/port-spec.js'
import type {PortForward} from '../../../src/vmfile/types.js'

const EXPECTED = 'expected "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]" such as "127.0.0.1:8080:80", found'

const tcp = (hostIp: string, hostPort: number, guestPort = 80): PortForward => ({hostIp, hostPort, guestPort, protocol: 'tcp'})
const udp = (hostIp: string, hostPort: number, guestPort = 80): PortForward => ({hostIp, hostPort, guestPort, protocol: 'udp'})

describe('ports/port-spec', () => {
  describe('parsePortSpec accepts', () => {
    const cases: [string, PortForward][] = [
      ['8080:80', tcp('127.0.0.1', 8080)],
      ['8080:80/tcp', tcp('127.0.0.1', 8080)],
      ['5353:53/udp', udp('127.0.0.1', 5353, 53)],
      ['0.0.0.0:8080:80', tcp('0.0.0.0', 8080)],
      ['192.168.1.20:443:8443/tcp', tcp('192.168.1.20', 443, 8443)],
      ['127.0.0.2:1:65535/udp', udp('127.0.0.2', 1, 65535)],
      ['255.255.255.255:65535:1', tcp('255.255.255.255', 65535, 1)],
    ]
    for (const [text, forward] of cases) {
      it(JSON.stringify(text), () => expect(parsePortSpec(text)).to.deep.equal({forward}))
    }
  })

  describe('parsePortSpec rejects, saying what is wrong', () => {
    const cases: [unknown, string][] = [
      [8080, `${EXPECTED} 8080; a forward names both ends: write "8080:8080" to forward host port 8080 to guest port 8080`],
      ['8080', `${EXPECTED} "8080"; a forward names both ends: write "8080:8080" to forward host port 8080 to guest port 8080`],
      [70000, `${EXPECTED} 70000`],
      [80.5, `${EXPECTED} 80.5`],
      [null, `${EXPECTED} nothing`],
      [true, `${EXPECTED} true`],
      [['8080:80'], `${EXPECTED} a list`],
      ['', `${EXPECTED} ""`],
      ['http', `${EXPECTED} "http"`],
      ['70000:80', `${EXPECTED} "70000:80"; the host port 70000 is out of range 1-65535`],
      ['8080:0', `${EXPECTED} "8080:0"; the guest port 0 is out of range 1-65535`],
      ['0:80', `${EXPECTED} "0:80"; the host port 0 is out of range 1-65535`],
      ['8080:99999999999999999999', `${EXPECTED} "8080:99999999999999999999"; the guest port 100000000000000000000 is out of range 1-65535`],
      ['08080:80', `${EXPECTED} "08080:80"; the host port must be written without leading zeros: 8080`],
      ['+8080:80', `${EXPECTED} "+8080:80"; the host port must be a whole number, not "+8080"`],
      [' 8080:80', `${EXPECTED} " 8080:80"; the host port must be a whole number, not " 8080"`],
      ['0x50:80', `${EXPECTED} "0x50:80"; the host port must be a whole number, not "0x50"`],
      ['8080:80.0', `${EXPECTED} "8080:80.0"; the guest port must be a whole number, not "80.0"`],
      ['8080:1e3', `${EXPECTED} "8080:1e3"; the guest port must be a whole number, not "1e3"`],
      [':80', `${EXPECTED} ":80"; the host port is missing`],
      ['8080:', `${EXPECTED} "8080:"; the guest port is missing`],
      ['8080:80/tpc', `${EXPECTED} "8080:80/tpc"; the protocol must be tcp or udp, not "tpc"; did you mean tcp?`],
      ['8080:80/UDP', `${EXPECTED} "8080:80/UDP"; the protocol must be tcp or udp, not "UDP"; did you mean udp?`],
      ['8080:80/sctp', `${EXPECTED} "8080:80/sctp"; the protocol must be tcp or udp, not "sctp"; did you mean tcp?`],
      ['8080:80/', `${EXPECTED} "8080:80/"; the protocol must be tcp or udp, not ""`],
      ['localhost:8080:80', `${EXPECTED} "localhost:8080:80"; write 127.0.0.1 instead of "localhost"`],
      ['*:8080:80', `${EXPECTED} "*:8080:80"; write 0.0.0.0 to listen on every address`],
      [':8080:80', `${EXPECTED} ":8080:80"; the host address is missing; leave it out for 127.0.0.1`],
      ['127.0.0.01:8080:80', `${EXPECTED} "127.0.0.01:8080:80"; the host address "127.0.0.01" is not an IPv4 address such as 127.0.0.1 or 0.0.0.0`],
      ['256.0.0.1:8080:80', `${EXPECTED} "256.0.0.1:8080:80"; the host address "256.0.0.1" is not an IPv4 address such as 127.0.0.1 or 0.0.0.0`],
      ['8080:80:22', `${EXPECTED} "8080:80:22"; the host address "8080" is not an IPv4 address such as 127.0.0.1 or 0.0.0.0`],
      ['10.0.0:8080:80', `${EXPECTED} "10.0.0:8080:80"; the host address "10.0.0" is not an IPv4 address such as 127.0.0.1 or 0.0.0.0`],
      ['[::1]:8080:80', `${EXPECTED} "[::1]:8080:80"; IPv6 host addresses are not supported; use an IPv4 address such as 127.0.0.1 or 0.0.0.0`],
      ['::1:8080:80', `${EXPECTED} "::1:8080:80"; IPv6 host addresses are not supported; use an IPv4 address such as 127.0.0.1 or 0.0.0.0`],
      ['fe80::1:8080:80', `${EXPECTED} "fe80::1:8080:80"; IPv6 host addresses are not supported; use an IPv4 address such as 127.0.0.1 or 0.0.0.0`],
      ['127.0.0.1:8080:80:22', `${EXPECTED} "127.0.0.1:8080:80:22"; it has 4 parts separated by ":", at most 3`],
      // Nothing that would add a QEMU -netdev option gets through.
      ['127.0.0.1:8080:80,hostfwd=tcp::22-:22', `${EXPECTED} "127.0.0.1:8080:80,hostfwd=tcp::22-:22"; it has 6 parts separated by ":", at most 3`],
      ['8080:80,restrict=off', `${EXPECTED} "8080:80,restrict=off"; the guest port must be a whole number, not "80,restrict=off"`],
      ['8080,smb=/:80', `${EXPECTED} "8080,smb=/:80"; the protocol must be tcp or udp, not ":80"`],
    ]
    for (const [value, error] of cases) {
      it(JSON.stringify(value), () => expect(parsePortSpec(value)).to.deep.equal({error}))
    }
  })

  it('cuts a very long found value as other Vmfile messages do', () => {
    const result = parsePortSpec(`${'1'.repeat(80)}:80`)
    expect(result).to.have.property('error').that.includes(`found "${'1'.repeat(57)}..."`)
  })

  it('isIpv4 takes four decimal octets only', () => {
    expect(['0.0.0.0', '127.0.0.1', '10.20.30.40'].every(isIpv4)).to.equal(true)
    expect(['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1.2.3.-1', 'a.b.c.d', '1.2.3.4 ', '1..3.4'].some(isIpv4)).to.equal(false)
  })

  it('formatPortForward reads host side → guest port/protocol', () => {
    expect(formatPortForward(tcp('127.0.0.1', 8080))).to.equal('127.0.0.1:8080 → 80/tcp')
    expect(formatPortForward(udp('0.0.0.0', 5353, 53))).to.equal('0.0.0.0:5353 → 53/udp')
  })

  describe('findDuplicateHostPorts', () => {
    const at = (machine: string, forward: PortForward) => ({machine, forward})

    it('finds nothing in forwards that can all bind', () => {
      const items = [
        at('web', tcp('127.0.0.1', 8080)),
        at('web', udp('127.0.0.1', 8080)), // another protocol
        at('db', tcp('127.0.0.2', 8080)), // another address
        at('db', tcp('127.0.0.1', 8081)), // another port
        at('db', tcp('0.0.0.0', 9090)),
      ]
      expect(findDuplicateHostPorts(items)).to.deep.equal([])
    })

    it('reports the later entry against the first one it clashes with, across machines', () => {
      const items = [at('web', tcp('127.0.0.1', 8080)), at('db', tcp('127.0.0.1', 8080, 81)), at('db', tcp('127.0.0.1', 8080, 82))]
      expect(findDuplicateHostPorts(items)).to.deep.equal([
        {item: items[1], clashesWith: items[0]},
        {item: items[2], clashesWith: items[0]},
      ])
    })

    it('treats 0.0.0.0 as overlapping every address, on either side', () => {
      const wildcardFirst = [at('web', udp('0.0.0.0', 5353)), at('db', udp('192.168.1.20', 5353))]
      expect(findDuplicateHostPorts(wildcardFirst)).to.deep.equal([{item: wildcardFirst[1], clashesWith: wildcardFirst[0]}])
      const wildcardLater = [at('web', tcp('127.0.0.1', 80)), at('web', tcp('0.0.0.0', 80))]
      expect(findDuplicateHostPorts(wildcardLater)).to.deep.equal([{item: wildcardLater[1], clashesWith: wildcardLater[0]}])
    })

    it('keeps whatever the caller attached to each entry', () => {
      const items = [
        {index: 0, forward: tcp('127.0.0.1', 8080)},
        {index: 1, forward: tcp('127.0.0.1', 8080)},
      ]
      expect(findDuplicateHostPorts(items)[0]?.item.index).to.equal(1)
    })
  })
})
