import {expect} from 'chai'
import {parse} from 'yaml'

import {planNics} from '../../../src/machine/nic-plan.js'
import type {PrivateNetworkPlan} from '../../../src/network/private-network.js'

const PLAN: PrivateNetworkPlan = {
  projectDir: '/home/ana/shop',
  name: 'shop-private-549df1e2',
  bridge: 'vmbr-549df1e2',
  domain: 'shop.vm.internal',
  subnet: '10.10.0.0/24',
  gateway: '10.10.0.1',
  netmask: '255.255.255.0',
  prefixLength: 24,
}

/** MACs handed out in order, so the plan's use of them is visible. */
function macs(): () => string {
  let n = 1
  return () => `52:54:00:00:00:0${++n}`
}

describe('machine/nic-plan', () => {
  it('a machine with one NIC needs no network-config: cloud-init runs DHCP on it by itself', () => {
    expect(planNics({ports: []}, '52:54:00:00:00:01', undefined, macs())).to.deep.equal({extraInterfaces: [], qemuArgs: []})
  })

  it('orders private network, bridge and forwards after the management NIC, each configured by MAC', () => {
    const plan = planNics(
      {ports: [{hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80, protocol: 'tcp'}], bridge: 'br0', privateNetwork: {kind: 'static', ip: '10.10.0.11'}},
      '52:54:00:00:00:01',
      PLAN,
      macs(),
    )
    expect(plan.extraInterfaces).to.deep.equal([
      {kind: 'network', network: 'shop-private-549df1e2', mac: '52:54:00:00:00:02'},
      {kind: 'bridge', bridge: 'br0', mac: '52:54:00:00:00:03'},
    ])
    expect(plan.qemuArgs[1]).to.equal('user,id=vmfwd,restrict=on,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:8080-:80')
    expect(plan.qemuArgs[3]).to.include('mac=52:54:00:00:00:04')
    expect(parse(plan.networkConfig!)).to.deep.equal({
      version: 2,
      ethernets: {
        management: {match: {macaddress: '52:54:00:00:00:01'}, dhcp4: true},
        private: {match: {macaddress: '52:54:00:00:00:02'}, dhcp4: false, addresses: ['10.10.0.11/24']},
        bridge: {match: {macaddress: '52:54:00:00:00:03'}, dhcp4: true},
        forwards: {match: {macaddress: '52:54:00:00:00:04'}, dhcp4: false, addresses: ['10.0.2.15/24']},
      },
    })
  })

  it('a DHCP machine on the private network asks for its address there', () => {
    const plan = planNics({ports: [], privateNetwork: {kind: 'dhcp'}}, '52:54:00:00:00:01', PLAN, macs())
    expect(parse(plan.networkConfig!).ethernets.private).to.deep.equal({match: {macaddress: '52:54:00:00:00:02'}, dhcp4: true})
  })
})
