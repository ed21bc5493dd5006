import {expect} from 'chai'

import {isInsideProject, listReach} from '../../../src/consent/reach.js'
import type {MachineConfig, Vmfile} from '../../../src/vmfile/types.js'

function machine(name: string, extra: Partial<MachineConfig> = {}): MachineConfig {
  return {name, box: {kind: 'catalog', name: 'debian-12'}, cpus: 2, memoryBytes: 2 ** 30, diskBytes: 10 * 2 ** 30, accelerator: 'auto', folders: [], ports: [], provisioners: [], ...extra}
}

const vmfile = (...machines: MachineConfig[]): Vmfile => ({path: '/p/shop/Vmfile', projectDir: '/p/shop', machines})

describe('consent/reach', () => {
  it('isInsideProject: the folder and below, not a sibling with the same prefix, not its .vm/', () => {
    expect(isInsideProject('/p/shop', '/p/shop')).to.equal(true)
    expect(isInsideProject('/p/shop/site', '/p/shop')).to.equal(true)
    expect(isInsideProject('/p/shop2/site', '/p/shop')).to.equal(false)
    expect(isInsideProject('/p', '/p/shop')).to.equal(false)
    expect(isInsideProject('/p/shop/.vm', '/p/shop')).to.equal(false)
    expect(isInsideProject('/p/shop/.vm/id_ed25519', '/p/shop')).to.equal(false)
    expect(isInsideProject('/p/shop/.vmrc', '/p/shop')).to.equal(true)
  })

  it('lists each thing once with every machine that asks for it; loopback ports and the default network need nothing', () => {
    const folder = {hostPath: '/home/ana', guestPath: '/home', type: 'rsync' as const, exclude: []}
    const items = listReach(
      vmfile(
        machine('web', {folders: [folder], ports: [{hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80, protocol: 'tcp'}], network: 'default'}),
        machine('db', {folders: [folder], ports: [{hostIp: '192.168.1.5', hostPort: 5432, guestPort: 5432, protocol: 'tcp'}]}),
      ),
      '/p/shop',
      (path) => path,
    )
    expect(items.map((i) => [i.kind, i.machines, i.text])).to.deep.equal([
      ['host-path', ['web', 'db'], 'host path /home/ana, outside the project: folder copied into the guest (rsync)'],
      ['port', ['db'], "port 192.168.1.5:5432/tcp open to the network of 192.168.1.5, forwarded to the guest's port 5432"],
    ])
  })

  it('judges a path by where it really leads, and says how it was named', () => {
    const p = machine('web', {provisioners: [{kind: 'file', label: 'f', source: '/p/shop/innocent.conf', destination: '/tmp/x'}]})
    const items = listReach(vmfile(p), '/p/shop', () => '/home/ana/.ssh/id_ed25519')
    expect(items.map((i) => [i.text, i.realPath])).to.deep.equal([
      ['host path /home/ana/.ssh/id_ed25519 (named as /p/shop/innocent.conf), outside the project: file provisioner source, copied into the guest', '/home/ana/.ssh/id_ed25519'],
    ])
  })

  it('a local box image outside the project is listed (file:// decoded)', () => {
    const items = listReach(vmfile(machine('web', {box: {kind: 'url', url: 'file:///srv/images/my%20box.qcow2'}})), '/p/shop', (path) => path)
    expect(items.map((i) => i.realPath)).to.deep.equal(['/srv/images/my box.qcow2'])
  })
})
