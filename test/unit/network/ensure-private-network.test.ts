import {expect} from 'chai'

import {VmError} from '../../../src/errors.js'
import {CommandFailedError} from '../../../src/exec/runner.js'
import {ensurePrivateNetwork, removePrivateNetworkIfUnused} from '../../../src/network/ensure-private-network.js'
import {inspectSubnets} from '../../../src/network/inspect-subnets.js'
import {parseNetworkFacts, renderNetworkXml} from '../../../src/network/network-xml.js'
import {planPrivateNetwork, type PrivateNetworkPlan} from '../../../src/network/private-network.js'
import {FakeNetworks} from './fake-networks.js'

const SHOP = '/home/ana/shop'
const NAME = 'shop-private-549df1e2'
const DHCP_PLAN = planPrivateNetwork(SHOP, [{name: 'web', privateNetwork: {kind: 'dhcp'}}], [])!
const STATIC_PLAN = planPrivateNetwork(SHOP, [{name: 'web', privateNetwork: {kind: 'static', ip: '192.168.56.10'}}], [])!
const OTHER_PROJECT_PLAN = planPrivateNetwork('/home/bob/shop', [{name: 'web', privateNetwork: {kind: 'dhcp'}}], [])!
const DEFAULT_XML = `<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
`

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('network/ensure-private-network', () => {
  let libvirt: FakeNetworks
  let logged: string[]
  const log = (line: string) => logged.push(line)

  beforeEach(() => {
    libvirt = new FakeNetworks()
    logged = []
  })

  describe('ensurePrivateNetwork', () => {
    it('defines, autostarts and starts a missing network, in that order', async () => {
      expect(await ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN, log)).to.equal('created')
      expect(libvirt.changes).to.deep.equal([`net-define ${NAME}`, `net-autostart ${NAME}`, `net-start ${NAME}`])
      const network = libvirt.networks.get(NAME)!
      expect(network).to.include({active: true, autostart: true, persistent: true})
      expect(network.xml).to.equal(renderNetworkXml(DHCP_PLAN, process.getuid?.() ?? 0))
      expect(logged).to.deep.equal([`Creating private network ${NAME} (10.130.226.0/24)`])
    })

    it('is idempotent: a second call finds it running and changes nothing', async () => {
      await ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN)
      libvirt.calls.length = 0
      expect(await ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN)).to.equal('running')
      expect(libvirt.changes).to.deep.equal([])
    })

    it('starts our network when it is inactive (after a host reboot without autostart)', async () => {
      libvirt.add(NAME, renderNetworkXml(DHCP_PLAN, process.getuid?.() ?? 0), {active: false, autostart: false})
      expect(await ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN, log)).to.equal('started')
      expect(libvirt.changes).to.deep.equal([`net-start ${NAME}`])
      expect(logged).to.deep.equal([`Starting private network ${NAME}`])
    })

    it('refuses a network of that name vm did not create, and touches nothing', async () => {
      libvirt.add(NAME, DEFAULT_XML.replace('default', NAME))
      const error = await rejection(ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN))
      expect(error).to.be.instanceOf(VmError)
      expect((error as VmError).code).to.equal('NETWORK_NOT_OURS')
      expect(error.message).to.include(`"${NAME}"`).and.include('did not create')
      expect((error as VmError).hint).to.include(`net-dumpxml ${NAME}`)
      expect(libvirt.changes).to.deep.equal([])
    })

    it("refuses a network of that name that another project's metadata claims", async () => {
      libvirt.add(NAME, renderNetworkXml({...OTHER_PROJECT_PLAN, name: NAME}, 1000))
      const error = await rejection(ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN))
      expect((error as VmError).code).to.equal('NETWORK_NOT_OURS')
      expect(error.message).to.include('/home/bob/shop')
      expect(libvirt.changes).to.deep.equal([])
    })

    it('undefines the network it just defined when it will not start, and passes the error on', async () => {
      libvirt.startFailure = "error: Failed to start network x\nerror: internal error: Network is already in use by interface eth0"
      const error = await rejection(ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN))
      expect(error).to.be.instanceOf(CommandFailedError)
      expect((error as CommandFailedError).detail).to.include('already in use by interface eth0')
      expect(libvirt.changes).to.deep.equal([`net-define ${NAME}`, `net-autostart ${NAME}`, `net-start ${NAME}`, `net-undefine ${NAME}`])
      expect(libvirt.networks.has(NAME)).to.equal(false)
    })

    it('redefines an inactive network of ours whose addressing the Vmfile changed', async () => {
      libvirt.add(NAME, renderNetworkXml(STATIC_PLAN, process.getuid?.() ?? 0), {active: false})
      expect(await ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN, log)).to.equal('redefined')
      expect(libvirt.changes).to.deep.equal([`net-undefine ${NAME}`, `net-define ${NAME}`, `net-autostart ${NAME}`, `net-start ${NAME}`])
      expect(parseNetworkFacts(libvirt.networks.get(NAME)!.xml).ipv4[0]?.subnet).to.equal('10.130.226.0/24')
      expect(logged).to.deep.equal([`Redefining private network ${NAME} (10.130.226.0/24)`])
    })

    it('refuses to change a running network, saying what differs', async () => {
      libvirt.add(NAME, renderNetworkXml(STATIC_PLAN, process.getuid?.() ?? 0), {connections: 1})
      const error = await rejection(ensurePrivateNetwork(libvirt.virsh, DHCP_PLAN))
      expect((error as VmError).code).to.equal('PRIVATE_NETWORK_CHANGED')
      expect((error as VmError).detail).to.equal('  subnet: 192.168.56.0/24 → 10.130.226.0/24\n  DHCP range: none → 10.130.226.100-10.130.226.199')
      expect((error as VmError).hint).to.include('vm destroy')
      expect(libvirt.changes).to.deep.equal([])
    })

    it('notices a DHCP range that is no longer wanted', async () => {
      const withDhcp: PrivateNetworkPlan = {...STATIC_PLAN, dhcpRange: {start: '192.168.56.100', end: '192.168.56.199'}}
      libvirt.add(NAME, renderNetworkXml(withDhcp, 1000))
      const error = await rejection(ensurePrivateNetwork(libvirt.virsh, STATIC_PLAN))
      expect((error as VmError).detail).to.equal('  DHCP range: 192.168.56.100-192.168.56.199 → none')
    })
  })

  describe('removePrivateNetworkIfUnused', () => {
    it('keeps the network while machines of the project are left, without asking libvirt', async () => {
      libvirt.add(NAME, renderNetworkXml(DHCP_PLAN, process.getuid?.() ?? 0))
      expect(await removePrivateNetworkIfUnused(libvirt.virsh, SHOP, 1)).to.equal('machines-left')
      expect(libvirt.calls).to.deep.equal([])
    })

    it('stops and undefines our network when the last machine is gone', async () => {
      libvirt.add(NAME, renderNetworkXml(DHCP_PLAN, process.getuid?.() ?? 0))
      expect(await removePrivateNetworkIfUnused(libvirt.virsh, SHOP, 0)).to.equal('removed')
      expect(libvirt.changes).to.deep.equal([`net-destroy ${NAME}`, `net-undefine ${NAME}`])
      expect(libvirt.networks.size).to.equal(0)
    })

    it('only undefines an inactive one', async () => {
      libvirt.add(NAME, renderNetworkXml(DHCP_PLAN, process.getuid?.() ?? 0), {active: false})
      expect(await removePrivateNetworkIfUnused(libvirt.virsh, SHOP, 0)).to.equal('removed')
      expect(libvirt.changes).to.deep.equal([`net-undefine ${NAME}`])
      expect(libvirt.networks.size).to.equal(0)
    })

    it('is content when there is no network (destroy after a half-done up, or twice)', async () => {
      expect(await removePrivateNetworkIfUnused(libvirt.virsh, SHOP, 0)).to.equal('absent')
      expect(libvirt.changes).to.deep.equal([])
    })

    it('never removes a network of that name without our ownership', async () => {
      libvirt.add(NAME, DEFAULT_XML.replace('default', NAME))
      expect(await removePrivateNetworkIfUnused(libvirt.virsh, SHOP, 0)).to.equal('not-ours')
      libvirt.networks.get(NAME)!.xml = renderNetworkXml({...OTHER_PROJECT_PLAN, name: NAME}, 1000)
      expect(await removePrivateNetworkIfUnused(libvirt.virsh, SHOP, 0)).to.equal('not-ours')
      expect(libvirt.changes).to.deep.equal([])
      expect(libvirt.networks.has(NAME)).to.equal(true)
    })

    it('never touches libvirt\'s default network or any other', async () => {
      libvirt.add('default', DEFAULT_XML)
      libvirt.add(OTHER_PROJECT_PLAN.name, renderNetworkXml(OTHER_PROJECT_PLAN, process.getuid?.() ?? 0))
      expect(await removePrivateNetworkIfUnused(libvirt.virsh, SHOP, 0)).to.equal('absent')
      expect(libvirt.changes).to.deep.equal([])
      expect([...libvirt.networks.keys()]).to.deep.equal(['default', OTHER_PROJECT_PLAN.name])
    })

    it('keeps a network that still has interfaces attached (a guest someone connected by hand)', async () => {
      libvirt.add(NAME, renderNetworkXml(DHCP_PLAN, process.getuid?.() ?? 0), {connections: 1})
      expect(await removePrivateNetworkIfUnused(libvirt.virsh, SHOP, 0)).to.equal('interfaces-attached')
      expect(libvirt.changes).to.deep.equal([])
    })
  })

  describe('inspectSubnets', () => {
    it("lists other networks' subnets as taken and the project's own as current", async () => {
      libvirt.add('default', DEFAULT_XML)
      libvirt.add(OTHER_PROJECT_PLAN.name, renderNetworkXml(OTHER_PROJECT_PLAN, process.getuid?.() ?? 0))
      libvirt.add(NAME, renderNetworkXml(STATIC_PLAN, process.getuid?.() ?? 0))
      expect(await inspectSubnets(libvirt.virsh, NAME)).to.deep.equal({
        taken: ['192.168.122.0/24', OTHER_PROJECT_PLAN.subnet],
        current: '192.168.56.0/24',
      })
    })

    it('has no current subnet before the network exists, and skips a network that vanished meanwhile', async () => {
      libvirt.add('default', DEFAULT_XML)
      libvirt.vanished.add('gone')
      expect(await inspectSubnets(libvirt.virsh, NAME)).to.deep.equal({taken: ['192.168.122.0/24']})
    })

    it('feeds planPrivateNetwork so a new project avoids every other network', async () => {
      libvirt.add('squatter', DEFAULT_XML.replace('192.168.122.1', '10.130.226.1').replace(/192\.168\.122\.\d+/g, '10.130.226.9'))
      const {taken, current} = await inspectSubnets(libvirt.virsh, NAME)
      expect(planPrivateNetwork(SHOP, [{name: 'web', privateNetwork: {kind: 'dhcp'}}], taken, {currentSubnet: current})?.subnet).to.equal('10.130.227.0/24')
    })
  })
})
