import {expect} from 'chai'

import {parseDomainFacts} from '../../../src/libvirt/domain-facts.js'
import {renderDomainXml, type DomainSpec} from '../../../src/libvirt/domain-xml.js'
import {forwardNetdevArgs} from '../../../src/ports/qemu-args.js'
import {describeDrift} from '../../../src/steps/config-drift.js'
import type {MachineConfig, PortForward} from '../../../src/vmfile/types.js'

const SPEC: DomainSpec = {
  name: 'shop-web-1a2b3c4d',
  uuid: '6f1c2a3e-1111-4222-8333-944455566677',
  type: 'qemu',
  title: 'vm: web (/home/ana/shop)',
  memoryBytes: 2 ** 30,
  cpus: 2,
  arch: 'x86_64',
  pool: 'vmfile',
  overlayVolume: 'o.qcow2',
  seedVolume: 's.iso',
  network: 'default',
  mac: '52:54:00:00:00:01',
  serialLogPath: '/tmp/serial.log',
  owner: {projectDir: '/home/ana/shop', machine: 'web', toolVersion: '0.1.0', boxSha256: 'ab'.repeat(32), uid: 1000},
}
const HTTP: PortForward = {hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80, protocol: 'tcp'}
const MACHINE: MachineConfig = {name: 'web', box: {kind: 'catalog', name: 'debian-12'}, cpus: 2, memoryBytes: 2 ** 30, diskBytes: 2 ** 33, accelerator: 'tcg', folders: [], ports: [HTTP], provisioners: []}

function drift(machine: MachineConfig, spec: DomainSpec): string[] {
  const xml = renderDomainXml(spec)
  return describeDrift(machine, xml, parseDomainFacts(xml))
}

describe('steps/config-drift', () => {
  const created: DomainSpec = {...SPEC, qemuArgs: forwardNetdevArgs([HTTP], '52:54:00:00:00:02')}

  it('finds nothing when the machine is what its Vmfile entry asks for', () => {
    expect(drift(MACHINE, created)).to.deep.equal([])
  })

  it('names changed ports, live folders and networks, with what the machine has', () => {
    const changed: MachineConfig = {
      ...MACHINE,
      ports: [{...HTTP, hostPort: 9090}],
      folders: [{hostPath: '/x', guestPath: '/srv/x', type: 'virtiofs', exclude: []}],
      privateNetwork: {kind: 'dhcp'},
    }
    expect(drift(changed, created)).to.deep.equal([
      'ports (the machine has 127.0.0.1:8080 → 80/tcp; the Vmfile asks for 127.0.0.1:9090 → 80/tcp)',
      'live folders (the machine has 0; the Vmfile asks for 1)',
      'networks (the machine has 1 NIC; the Vmfile asks for 2)',
    ])
  })

  it('does not count rsync folders: they are copied on every up', () => {
    expect(drift({...MACHINE, folders: [{hostPath: '/x', guestPath: '/srv/x', type: 'rsync', exclude: []}]}, created)).to.deep.equal([])
  })
})
