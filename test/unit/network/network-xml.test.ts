import {expect} from 'chai'

import {NETWORK_METADATA_NS, parseNetworkFacts, parseNetworkOwner, parseNetworkSubnets, renderNetworkXml} from '../../../src/network/network-xml.js'
import {planPrivateNetwork, type PrivateNetworkPlan} from '../../../src/network/private-network.js'
import {expectGolden, runTool, useXmlScratch} from '../fixture.js'

/*
 * Golden files in ./network-xml/<case>.xml. After a deliberate change:
 * UPDATE_GOLDEN=1 npx mocha test/unit/network/network-xml.test.ts, and review the diff. Every case
 * is also checked against libvirt's RELAX NG schema for networks (virt-xml-validate) and read
 * back with libxml2 (xmllint), neither of which shares code with our XML builder.
 */

const STATIC_ONLY = planPrivateNetwork('/home/ana/shop', [{name: 'web', privateNetwork: {kind: 'static', ip: '192.168.56.10'}}], [])!
const WITH_DHCP = planPrivateNetwork('/home/ana/shop', [{name: 'web', privateNetwork: {kind: 'dhcp'}}], [])!
const HOSTILE_PROJECT = `/home/ana/<b> & "c" 'd' ]]> <!--\nline2`
const HOSTILE: PrivateNetworkPlan = {...WITH_DHCP, projectDir: HOSTILE_PROJECT}

const CASES: Record<string, PrivateNetworkPlan> = {'static-only': STATIC_ONLY, 'with-dhcp': WITH_DHCP, hostile: HOSTILE}

const golden = (name: string) => new URL(`network-xml/${name}.xml`, import.meta.url)

/*
 * Shaped like libvirt 9.0's `virsh net-dumpxml` (single quotes, a uuid and a MAC added, our
 * metadata re-serialised, `connections` on an active network). vm may not start networks in the
 * host's namespace, so these are written by hand after libvirt's format, not captured.
 */
const DUMPED_OURS = `<network connections='2'>
  <name>shop-private-549df1e2</name>
  <uuid>0f3c8a52-1b2c-4d5e-8f60-718293a4b5c6</uuid>
  <metadata>
    <vmfile:network xmlns:vmfile="${NETWORK_METADATA_NS}">
      <vmfile:project>/home/ana/shop</vmfile:project>
    </vmfile:network>
  </metadata>
  <bridge name='vmbr-549df1e2' stp='on' delay='0'/>
  <mac address='52:54:00:3e:11:22'/>
  <domain name='shop.vm.internal' localOnly='yes'/>
  <ip address='10.130.226.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.130.226.100' end='10.130.226.199'/>
    </dhcp>
  </ip>
</network>
`

const DUMPED_DEFAULT = `<network>
  <name>default</name>
  <uuid>8e6b3ee2-7c98-4ad9-be51-8914e0c376d4</uuid>
  <forward mode='nat'>
    <nat>
      <port start='1024' end='65535'/>
    </nat>
  </forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='52:54:00:0a:0b:0c'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
`

const DUMPED_DUAL_STACK = `<network>
  <name>lab</name>
  <bridge name='virbr5' stp='on' delay='0'/>
  <ip family='ipv6' address='fd00:1::1' prefix='64'/>
  <ip address='172.16.5.9' prefix='20'/>
  <ip family='ipv4' address='192.168.99.1' netmask='255.255.255.128'/>
</network>
`

describe('network/network-xml', () => {
  const {file, xpath} = useXmlScratch('vm-network-xml-')

  describe('renderNetworkXml', () => {
    for (const [name, plan] of Object.entries(CASES)) {
      describe(name, () => {
        it('renders the golden file', () => {
          expectGolden(renderNetworkXml(plan, 1000), golden(name))
        })

        it("is valid per libvirt's network schema (virt-xml-validate)", () => {
          const path = file(name, renderNetworkXml(plan, 1000))
          const result = runTool('virt-xml-validate', [path, 'network'], 'libvirt-clients libxml2-utils')
          expect(`${result.stdout}${result.stderr}`.trim()).to.equal(`${path} validates`)
          expect(result.status).to.equal(0)
        })
      })
    }

    it('is isolated: no <forward>, so guests reach each other and the host, nothing beyond', () => {
      const path = file('isolated', renderNetworkXml(WITH_DHCP, 1000))
      expect(xpath(path, 'count(/network/forward)')).to.equal('0')
    })

    it('names the bridge with STP on and no forwarding delay, and a local-only DNS domain', () => {
      const path = file('bridge', renderNetworkXml(WITH_DHCP, 1000))
      expect(xpath(path, 'string(/network/bridge/@name)')).to.equal('vmbr-549df1e2')
      expect(xpath(path, 'string(/network/bridge/@stp)')).to.equal('on')
      expect(xpath(path, 'string(/network/bridge/@delay)')).to.equal('0')
      expect(xpath(path, 'string(/network/domain/@name)')).to.equal('shop.vm.internal')
      expect(xpath(path, 'string(/network/domain/@localOnly)')).to.equal('yes')
    })

    it('runs a DHCP server only when the plan has a range', () => {
      const dhcp = file('dhcp', renderNetworkXml(WITH_DHCP, 1000))
      expect(xpath(dhcp, 'string(/network/ip/@address)')).to.equal('10.130.226.1')
      expect(xpath(dhcp, 'string(/network/ip/@netmask)')).to.equal('255.255.255.0')
      expect(xpath(dhcp, 'string(/network/ip/dhcp/range/@start)')).to.equal('10.130.226.100')
      expect(xpath(dhcp, 'string(/network/ip/dhcp/range/@end)')).to.equal('10.130.226.199')
      const none = file('no-dhcp', renderNetworkXml(STATIC_ONLY, 1000))
      expect(xpath(none, 'string(/network/ip/@address)')).to.equal('192.168.56.1')
      expect(xpath(none, 'count(//dhcp)')).to.equal('0')
    })

    it('reads back a hostile project path exactly, adding no element', () => {
      const path = file('hostile-roundtrip', renderNetworkXml(HOSTILE, 1000))
      const project = `/network/metadata/*[local-name()="network" and namespace-uri()="${NETWORK_METADATA_NS}"]/*[local-name()="project"]`
      expect(xpath(path, `string(${project})`)).to.equal(HOSTILE_PROJECT)
      expect(xpath(path, 'count(//*)')).to.equal(xpath(file('plain', renderNetworkXml(WITH_DHCP, 1000)), 'count(//*)'))
    })

    it('is pure: the same plan gives the same bytes', () => {
      expect(renderNetworkXml(structuredClone(WITH_DHCP), 1000)).to.equal(renderNetworkXml(WITH_DHCP, 1000))
    })
  })

  describe('parseNetworkOwner', () => {
    it('reads the project back from our own rendering', () => {
      expect(parseNetworkOwner(renderNetworkXml(WITH_DHCP, 1000))).to.equal('/home/ana/shop')
      expect(parseNetworkOwner(renderNetworkXml(HOSTILE, 1000))).to.equal(HOSTILE_PROJECT)
    })

    it('reads back the uid of the user who made it; a network from before vm recorded it has none', () => {
      expect(parseNetworkFacts(renderNetworkXml(WITH_DHCP, 1001)).ownerUid).to.equal(1001)
      expect(parseNetworkFacts(DUMPED_OURS)).to.not.have.property('ownerUid')
    })

    it('finds our metadata by namespace when libvirt writes it under another prefix', () => {
      expect(parseNetworkOwner(DUMPED_OURS)).to.equal('/home/ana/shop')
    })

    it("has no owner for a network vm did not create (libvirt's default)", () => {
      expect(parseNetworkOwner(DUMPED_DEFAULT)).to.equal(undefined)
    })

    it('ignores look-alike metadata in another namespace, or without a namespace', () => {
      const foreign = DUMPED_OURS.replace(NETWORK_METADATA_NS, 'https://example.com/other')
      expect(parseNetworkOwner(foreign)).to.equal(undefined)
      expect(parseNetworkOwner('<network><name>x</name><metadata><network><project>/home/ana/shop</project></network></metadata></network>')).to.equal(undefined)
    })

    it('ignores other tools\' metadata beside ours', () => {
      const both = DUMPED_OURS.replace('<metadata>', '<metadata>\n    <k:net xmlns:k="https://kcli.example/1"><k:project>/x</k:project></k:net>')
      expect(parseNetworkOwner(both)).to.equal('/home/ana/shop')
    })
  })

  describe('parseNetworkSubnets', () => {
    it("gives the IPv4 network of libvirt's default network", () => {
      expect(parseNetworkSubnets(DUMPED_DEFAULT)).to.deep.equal(['192.168.122.0/24'])
    })

    it('reads netmask= and prefix= forms, every <ip>, and skips IPv6', () => {
      expect(parseNetworkSubnets(DUMPED_DUAL_STACK)).to.deep.equal(['172.16.0.0/20', '192.168.99.0/25'])
    })

    it('is empty for a network without addresses (a bridge or macvtap passthrough)', () => {
      expect(parseNetworkSubnets("<network><name>br</name><forward mode='bridge'/><bridge name='br0'/></network>")).to.deep.equal([])
    })

    it('round-trips our plan', () => {
      expect(parseNetworkSubnets(renderNetworkXml(STATIC_ONLY, 1000))).to.deep.equal(['192.168.56.0/24'])
    })
  })

  describe('parseNetworkFacts', () => {
    it('reads owner, bridge, attached interfaces, addresses and DHCP ranges', () => {
      expect(parseNetworkFacts(DUMPED_OURS)).to.deep.equal({
        owner: '/home/ana/shop',
        bridge: 'vmbr-549df1e2',
        connections: 2,
        ipv4: [{address: '10.130.226.1', subnet: '10.130.226.0/24', dhcpRanges: [{start: '10.130.226.100', end: '10.130.226.199'}]}],
      })
    })

    it('counts no connections on a network libvirt printed without the attribute', () => {
      expect(parseNetworkFacts(DUMPED_DEFAULT).connections).to.equal(0)
    })
  })
})
