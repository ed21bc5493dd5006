import {expect} from 'chai'

import {
  FORWARD_GUEST_IP,
  FORWARD_NET,
  FORWARD_NETDEV_ID,
  QEMU_NAMESPACE,
  forwardNetdevArgs,
  hostfwdRule,
  parseForwardsFromDomainXml,
} from '../../../src/ports/qemu-args.js'
import type {PortForward} from '../../../src/vmfile/types.js'
import {readCapture} from '../fixture.js'

const MAC = '52:54:00:aa:00:02'
const WEB: PortForward = {hostIp: '127.0.0.1', hostPort: 18080, guestPort: 80, protocol: 'tcp'}
const DNS: PortForward = {hostIp: '127.0.0.1', hostPort: 18081, guestPort: 81, protocol: 'udp'}
const EVERYWHERE: PortForward = {hostIp: '0.0.0.0', hostPort: 2222, guestPort: 22, protocol: 'tcp'}

/** A real `virsh dumpxml` of one of our domains (libvirt 9.0), to splice <qemu:commandline> into. */
const DUMPXML = readCapture(new URL('../libvirt/fixtures/dumpxml-ours.txt', import.meta.url))

/**
 * The commandline as libvirt 9.0 writes it back (single-quoted attributes, the namespace
 * declared on <domain>), under `prefix`; `declareOn` moves the declaration to <commandline>.
 */
function withCommandline(args: readonly string[], prefix = 'qemu', declareOn: 'domain' | 'commandline' = 'domain', ns = QEMU_NAMESPACE): string {
  const p = prefix ? `${prefix}:` : ''
  const declaration = prefix ? `xmlns:${prefix}='${ns}'` : `xmlns='${ns}'`
  const open = declareOn === 'commandline' ? `<${p}commandline ${declaration}>` : `<${p}commandline>`
  const lines = [`  ${open}`, ...args.map((value) => `    <${p}arg value='${value}'/>`), `  </${p}commandline>`]
  const root = declareOn === 'domain' ? `<domain type='qemu' ${declaration}>` : "<domain type='qemu'>"
  return DUMPXML.replace("<domain type='qemu'>", root).replace('</domain>', `${lines.join('\n')}\n</domain>`)
}

describe('ports/qemu-args', () => {
  it('builds exactly the -netdev and -device pair (golden)', () => {
    expect(forwardNetdevArgs([WEB, DNS], MAC)).to.deep.equal([
      '-netdev',
      'user,id=vmfwd,restrict=on,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:18080-:80,hostfwd=udp:127.0.0.1:18081-:81',
      '-device',
      'virtio-net-pci,netdev=vmfwd,mac=52:54:00:aa:00:02,bus=pcie.0,addr=0x10',
    ])
  })

  it('exports the facts the guest side needs', () => {
    expect([FORWARD_NETDEV_ID, FORWARD_NET, FORWARD_GUEST_IP]).to.deep.equal(['vmfwd', '10.0.2.0/24', '10.0.2.15'])
  })

  it('adds no NIC when nothing is forwarded', () => {
    expect(forwardNetdevArgs([], MAC)).to.deep.equal([])
  })

  it('writes the MAC in lower case', () => {
    expect(forwardNetdevArgs([WEB], '52:54:00:AA:00:02')[3]).to.include('mac=52:54:00:aa:00:02,')
  })

  describe('refuses values that could add -netdev or -device options', () => {
    const cases: [string, Partial<PortForward>][] = [
      ['a comma in the address', {hostIp: '127.0.0.1,smb=/'}],
      ['a hostname', {hostIp: 'localhost'}],
      ['an IPv6 address', {hostIp: '::1'}],
      ['a port that is not an integer', {hostPort: 80.5}],
      ['a port out of range', {guestPort: 65536}],
      ['a port given as text', {hostPort: '80,restrict=off' as unknown as number}],
      ['another protocol', {protocol: 'tcp,hostfwd=tcp::22-:22' as PortForward['protocol']}],
    ]
    for (const [what, change] of cases) {
      it(what, () => expect(() => forwardNetdevArgs([{...WEB, ...change}], MAC)).to.throw(/refusing an unchecked forward/))
    }
    it('a MAC that is not one', () => {
      expect(() => forwardNetdevArgs([WEB], `${MAC},addr=0x3`)).to.throw(/not a MAC address/)
      expect(() => forwardNetdevArgs([WEB], '52:54:00:aa:00')).to.throw(/not a MAC address/)
    })
  })

  it('hostfwdRule is the text QEMU quotes back on failure', () => {
    expect(hostfwdRule(EVERYWHERE)).to.equal('tcp:0.0.0.0:2222-:22')
  })

  describe('parseForwardsFromDomainXml', () => {
    const forwards = [WEB, DNS, EVERYWHERE]
    const args = forwardNetdevArgs(forwards, MAC)

    it('reads back what forwardNetdevArgs wrote, from libvirt-style dumpxml', () => {
      const xml = withCommandline(args)
      expect(xml).to.include("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>")
      expect(parseForwardsFromDomainXml(xml)).to.deep.equal(forwards)
    })

    it('matches the namespace, not the prefix', () => {
      expect(parseForwardsFromDomainXml(withCommandline(args, 'q'))).to.deep.equal(forwards)
      expect(parseForwardsFromDomainXml(withCommandline(args, 'x', 'commandline'))).to.deep.equal(forwards)
      expect(parseForwardsFromDomainXml(withCommandline(args, '', 'commandline'))).to.deep.equal(forwards)
    })

    it('ignores a commandline in another namespace under the qemu prefix', () => {
      expect(parseForwardsFromDomainXml(withCommandline(args, 'qemu', 'domain', 'https://example.org/other'))).to.deep.equal([])
    })

    it('reads one forward (a single <arg> pair is still a list)', () => {
      expect(parseForwardsFromDomainXml(withCommandline(forwardNetdevArgs([DNS], MAC)))).to.deep.equal([DNS])
    })

    it('has none for a domain without a commandline, or with other QEMU arguments only', () => {
      expect(parseForwardsFromDomainXml(DUMPXML)).to.deep.equal([])
      expect(parseForwardsFromDomainXml(withCommandline(['-set', 'device.rng0.max-bytes=1024']))).to.deep.equal([])
      expect(parseForwardsFromDomainXml('not xml at all')).to.deep.equal([])
    })

    it("reads only our netdev's rules and skips rules vm would not write", () => {
      const other = ['-netdev', 'user,id=someone,hostfwd=tcp:127.0.0.1:9999-:99']
      const odd = [
        '-netdev',
        [
          `user,id=${FORWARD_NETDEV_ID},restrict=on`,
          'hostfwd=tcp::7000-:70', // no host address: not ours
          'hostfwd=tcp:127.0.0.1:7001-10.0.2.15:71', // explicit guest address: fine
          'hostfwd=tcp:localhost:7002-:72',
          'hostfwd=tcp:127.0.0.1:70000-:73',
          'hostfwd=sctp:127.0.0.1:7004-:74',
        ].join(','),
      ]
      expect(parseForwardsFromDomainXml(withCommandline([...other, ...odd, ...other]))).to.deep.equal([
        {hostIp: '127.0.0.1', hostPort: 7001, guestPort: 71, protocol: 'tcp'},
      ])
    })
  })
})
