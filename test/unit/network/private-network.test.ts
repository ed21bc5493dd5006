import {expect} from 'chai'

import {
  planPrivateNetwork,
  privateBridgeName,
  privateDomainName,
  privateNetworkName,
  type PrivateNetworkMachine,
} from '../../../src/network/private-network.js'
import {thrownVmError} from '../fixture.js'

const SHOP = '/home/ana/shop'
// sha256('/home/ana/shop') starts 549df1e2; 0x549df1e2 % (254 * 256) = 33250 → 10.130.226.0/24.
const SHOP_SUBNET = '10.130.226.0/24'

const dhcp = (name: string): PrivateNetworkMachine => ({name, privateNetwork: {kind: 'dhcp'}})
const fixed = (name: string, ip: string): PrivateNetworkMachine => ({name, privateNetwork: {kind: 'static', ip}})

describe('network/private-network', () => {
  describe('names', () => {
    it('names the network after the project like its domains: slug, "private", path hash', () => {
      expect(privateNetworkName(SHOP)).to.equal('shop-private-549df1e2')
      expect(privateNetworkName('/home/bob/shop')).to.equal('shop-private-0716d0e6')
    })

    it('names the bridge vmbr-<hash>, within Linux\'s 15-character interface names', () => {
      expect(privateBridgeName(SHOP)).to.equal('vmbr-549df1e2')
      for (const dir of ['/', '/x', `/${'a'.repeat(200)}`, '/home/ana/My Very Long Project Name 2024']) {
        expect(privateBridgeName(dir)).to.match(/^vmbr-[0-9a-f]{8}$/)
        expect(privateBridgeName(dir).length).to.be.at.most(15)
      }
    })

    it('keeps the network name short and made of characters libvirt and dnsmasq file names take', () => {
      const name = privateNetworkName(`/srv/${'Ä long, long folder name!'.repeat(5)}`)
      expect(name).to.match(/^[a-z0-9-]+$/)
      expect(name.length).to.be.at.most(24 + '-private-'.length + 8)
    })

    it('gives dnsmasq a local-only domain under .internal', () => {
      expect(privateDomainName(SHOP)).to.equal('shop.vm.internal')
    })
  })

  describe('planPrivateNetwork', () => {
    it('plans nothing when no machine asks for a private network', () => {
      expect(planPrivateNetwork(SHOP, [{name: 'web'}, {name: 'db'}], [])).to.equal(undefined)
      expect(planPrivateNetwork(SHOP, [], [])).to.equal(undefined)
    })

    it('takes the /24 of the static addresses, the host at .1, and no DHCP when nobody asks for it', () => {
      const plan = planPrivateNetwork(SHOP, [fixed('web', '192.168.56.10'), fixed('db', '192.168.56.11'), {name: 'cache'}], [])
      expect(plan).to.deep.equal({
        projectDir: SHOP,
        name: 'shop-private-549df1e2',
        bridge: 'vmbr-549df1e2',
        domain: 'shop.vm.internal',
        subnet: '192.168.56.0/24',
        gateway: '192.168.56.1',
        netmask: '255.255.255.0',
        prefixLength: 24,
      })
    })

    it('adds the DHCP range .100-.199 when any machine uses dhcp', () => {
      const plan = planPrivateNetwork(SHOP, [fixed('web', '192.168.56.10'), dhcp('worker')], [])
      expect(plan?.subnet).to.equal('192.168.56.0/24')
      expect(plan?.dhcpRange).to.deep.equal({start: '192.168.56.100', end: '192.168.56.199'})
    })

    describe('a project of DHCP machines only', () => {
      it("gets a 10.X.Y.0/24 from its path's hash: the same on every run", () => {
        const plan = planPrivateNetwork(SHOP, [dhcp('web'), dhcp('db')], [])
        expect(plan?.subnet).to.equal(SHOP_SUBNET)
        expect(plan?.gateway).to.equal('10.130.226.1')
        expect(plan?.dhcpRange).to.deep.equal({start: '10.130.226.100', end: '10.130.226.199'})
        expect(planPrivateNetwork(SHOP, [dhcp('other')], [])?.subnet).to.equal(SHOP_SUBNET)
      })

      it('spreads projects over 10.1.0.0-10.254.255.0, never 10.0.x (home routers, QEMU user networking)', () => {
        const subnets = new Set<string>()
        for (let i = 0; i < 300; i++) {
          const subnet = planPrivateNetwork(`/home/ana/project-${i}`, [dhcp('web')], [])!.subnet
          const [, x, y] = /^10\.(\d+)\.(\d+)\.0\/24$/.exec(subnet)!.map(Number)
          expect(x).to.be.within(1, 254)
          expect(y).to.be.within(0, 255)
          subnets.add(subnet)
        }
        expect(subnets.size).to.be.above(290)
      })

      it('skips a subnet another libvirt network has, to the next /24', () => {
        expect(planPrivateNetwork(SHOP, [dhcp('web')], [SHOP_SUBNET])?.subnet).to.equal('10.130.227.0/24')
      })

      it('skips every /24 inside a wider taken range, and any range that overlaps the candidate', () => {
        expect(planPrivateNetwork(SHOP, [dhcp('web')], ['10.130.0.0/16'])?.subnet).to.equal('10.131.0.0/24')
        expect(planPrivateNetwork(SHOP, [dhcp('web')], ['10.130.226.128/25', '10.130.227.1/24'])?.subnet).to.equal('10.130.228.0/24')
      })

      it('wraps around to 10.1.0.0/24 after 10.254.255.0/24', () => {
        expect(planPrivateNetwork(SHOP, [dhcp('web')], ['10.128.0.0/9'])?.subnet).to.equal('10.1.0.0/24')
      })

      it('is not bothered by subnets elsewhere, IPv6 blocks or unreadable entries', () => {
        const taken = ['192.168.122.0/24', 'fd00::/64', 'nonsense', '10.130.226.0']
        expect(planPrivateNetwork(SHOP, [dhcp('web')], taken)?.subnet).to.equal(SHOP_SUBNET)
      })

      it('fails clearly when every 10.X.Y.0/24 is taken', () => {
        const error = thrownVmError(() => planPrivateNetwork(SHOP, [dhcp('web')], ['10.0.0.0/8']))
        expect(error.code).to.equal('PRIVATE_NETWORK_NO_FREE_SUBNET')
        expect(error.exitCode).to.equal(2)
      })

      it('keeps the subnet its network already has while that is free (the hash would pick another)', () => {
        const plan = planPrivateNetwork(SHOP, [dhcp('web')], [], {currentSubnet: '10.130.227.0/24'})
        expect(plan?.subnet).to.equal('10.130.227.0/24')
        expect(plan?.gateway).to.equal('10.130.227.1')
      })

      it('drops a current subnet that is now taken, or is not a /24', () => {
        expect(planPrivateNetwork(SHOP, [dhcp('web')], ['10.130.227.0/24'], {currentSubnet: '10.130.227.0/24'})?.subnet).to.equal(SHOP_SUBNET)
        expect(planPrivateNetwork(SHOP, [dhcp('web')], [], {currentSubnet: '10.130.0.0/16'})?.subnet).to.equal(SHOP_SUBNET)
      })

      it('lets static addresses decide even when the network has another current subnet', () => {
        expect(planPrivateNetwork(SHOP, [fixed('web', '192.168.56.10')], [], {currentSubnet: SHOP_SUBNET})?.subnet).to.equal('192.168.56.0/24')
      })
    })

    describe('errors (a Vmfile problem: exit status 2, naming the machines)', () => {
      it('refuses an address that is not a dotted IPv4 quad, listing each machine', () => {
        const error = thrownVmError(() =>
          planPrivateNetwork(SHOP, [fixed('a', '10.0.0'), fixed('b', '10.0.0.256'), fixed('c', '010.0.0.5'), fixed('d', 'fd00::5'), fixed('ok', '10.0.0.5')], []),
        )
        expect(error.code).to.equal('PRIVATE_NETWORK_INVALID_IP')
        expect(error.exitCode).to.equal(2)
        expect(error.detail).to.equal('  a: "10.0.0"\n  b: "10.0.0.256"\n  c: "010.0.0.5"\n  d: "fd00::5"')
      })

      it('refuses static addresses in more than one /24, listing every machine and its subnet', () => {
        const error = thrownVmError(() => planPrivateNetwork(SHOP, [fixed('web', '192.168.56.10'), fixed('db', '192.168.57.10'), dhcp('x')], []))
        expect(error.code).to.equal('PRIVATE_NETWORK_SUBNETS_DIFFER')
        expect(error.message).to.include('one /24')
        expect(error.detail).to.equal('  web: 192.168.56.10 (in 192.168.56.0/24)\n  db: 192.168.57.10 (in 192.168.57.0/24)')
      })

      it("refuses static addresses in another libvirt network's range", () => {
        const error = thrownVmError(() => planPrivateNetwork(SHOP, [fixed('web', '192.168.122.10')], ['10.1.1.0/24', '192.168.0.0/16']))
        expect(error.code).to.equal('PRIVATE_NETWORK_SUBNET_TAKEN')
        expect(error.message).to.include('192.168.122.0/24').and.include('192.168.0.0/16')
        expect(error.detail).to.equal('  web: 192.168.122.10')
      })

      for (const [host, what] of [
        ['0', 'the network address'],
        ['1', "the host's address"],
        ['255', 'the broadcast address'],
      ] as const) {
        it(`refuses .${host}: ${what}`, () => {
          const error = thrownVmError(() => planPrivateNetwork(SHOP, [fixed('web', `192.168.56.${host}`)], []))
          expect(error.code).to.equal('PRIVATE_NETWORK_ADDRESS_CONFLICT')
          expect(error.detail).to.equal(`  web: 192.168.56.${host} is ${what}${host === '1' ? ' on the private network' : ''}`)
        })
      }

      it('refuses a static address inside the DHCP range when some machine uses dhcp', () => {
        const error = thrownVmError(() => planPrivateNetwork(SHOP, [fixed('web', '192.168.56.100'), fixed('db', '192.168.56.199'), dhcp('worker')], []))
        expect(error.code).to.equal('PRIVATE_NETWORK_ADDRESS_CONFLICT')
        expect(error.detail).to.include('  web: 192.168.56.100 is inside the DHCP range 192.168.56.100-192.168.56.199')
        expect(error.detail).to.include('  db: 192.168.56.199 is inside the DHCP range')
        expect(error.hint).to.include('outside .100-.199')
      })

      it('allows .99, .200 next to the DHCP range, and anything in .100-.199 when nobody uses dhcp', () => {
        expect(planPrivateNetwork(SHOP, [fixed('a', '192.168.56.99'), fixed('b', '192.168.56.200'), dhcp('c')], [])).to.not.equal(undefined)
        expect(planPrivateNetwork(SHOP, [fixed('a', '192.168.56.150')], [])?.dhcpRange).to.equal(undefined)
      })

      it('refuses one address for two machines, naming both', () => {
        const error = thrownVmError(() => planPrivateNetwork(SHOP, [fixed('web', '192.168.56.10'), fixed('db', '192.168.56.11'), fixed('cache', '192.168.56.10')], []))
        expect(error.code).to.equal('PRIVATE_NETWORK_ADDRESS_CONFLICT')
        expect(error.detail).to.equal('  192.168.56.10 is given to more than one machine: web, cache')
      })

      it('reports every address conflict at once', () => {
        const error = thrownVmError(() =>
          planPrivateNetwork(SHOP, [fixed('a', '192.168.56.1'), fixed('b', '192.168.56.150'), fixed('c', '192.168.56.7'), fixed('d', '192.168.56.7'), dhcp('e')], []),
        )
        expect(error.detail?.split('\n')).to.have.length(3)
      })
    })
  })
})
