import {expect} from 'chai'

import {classifySnapshotError, parseSnapshotXml} from '../../../src/libvirt/snapshot-parse.js'

/*
 * RUNNING, SHUT_OFF and the error texts not marked otherwise were printed by real virsh 9.0.0
 * (QEMU 7.2, TCG, LC_ALL=C) for domains vm made. The domain inside a running snapshot's XML is cut
 * short (it runs to 250 lines), keeping the parts that could be mistaken for the snapshot's own:
 * the domain's <name>, <description> and <disk>s. EXTERNAL and the texts marked "modelled" follow
 * libvirt's format and wording but were not captured.
 */
const RUNNING = `<domainsnapshot>
  <name>before-upgrade</name>
  <description>nginx 1.22 &lt;stable&gt; &amp; config</description>
  <state>running</state>
  <parent>
    <name>s2</name>
  </parent>
  <creationTime>1796126413</creationTime>
  <memory snapshot='internal'/>
  <disks>
    <disk name='vda' snapshot='internal'/>
    <disk name='sda' snapshot='no'/>
  </disks>
  <domain type='qemu' id='52'>
    <name>h-snap-proj-default-3a9b1fe6</name>
    <uuid>c614593a-0301-4d96-8715-425db99743ce</uuid>
    <title>vm: default (/tmp/h-snap-proj)</title>
    <description>the domain's own</description>
    <devices>
      <disk type='volume' device='disk'>
        <driver name='qemu' type='qcow2' discard='unmap'/>
        <source pool='h-snap' volume='h-snap-proj-default-3a9b1fe6.qcow2' index='2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
    </devices>
  </domain>
  <cookie>
    <cpu mode='custom' match='exact' check='full'>
      <model fallback='forbid'>qemu64</model>
    </cpu>
    <slirpHelper/>
  </cookie>
</domainsnapshot>
`

const SHUT_OFF = `<domainsnapshot>
  <name>off1</name>
  <state>shutoff</state>
  <creationTime>1796126009</creationTime>
  <memory snapshot='no'/>
  <disks>
    <disk name='vda' snapshot='internal'/>
    <disk name='sda' snapshot='no'/>
  </disks>
  <domain type='qemu'>
    <name>h-snap-proj-default-3a9b1fe6</name>
  </domain>
</domainsnapshot>
`

/** Modelled: one a person made by hand with `virsh snapshot-create-as --disk-only`, in files beside the disk. */
const EXTERNAL = `<domainsnapshot>
  <name>by-hand</name>
  <state>disk-snapshot</state>
  <creationTime>1796126100</creationTime>
  <memory snapshot='no'/>
  <disks>
    <disk name='vda' snapshot='external' type='file'>
      <driver type='qcow2'/>
      <source file='/var/lib/libvirt/images/h-snap/x.by-hand'/>
    </disk>
  </disks>
</domainsnapshot>
`

describe('libvirt/snapshot-parse', () => {
  describe('parseSnapshotXml', () => {
    it('reads a running snapshot: memory included, its parent, the description unescaped', () => {
      expect(parseSnapshotXml(RUNNING)).to.deep.equal({
        name: 'before-upgrade',
        description: 'nginx 1.22 <stable> & config',
        createdAt: '2026-12-01T12:00:13.000Z',
        state: 'running',
        parent: 's2',
        memory: true,
        location: 'internal',
      })
    })

    it('reads a shut-off snapshot without parent or description: disk only', () => {
      expect(parseSnapshotXml(SHUT_OFF)).to.deep.equal({
        name: 'off1',
        createdAt: '2026-12-01T11:53:29.000Z',
        state: 'shutoff',
        memory: false,
        location: 'internal',
      })
    })

    it('says external for a snapshot kept in files beside the disk, with its state in snake_case', () => {
      const facts = parseSnapshotXml(EXTERNAL)
      expect(facts.location).to.equal('external')
      expect(facts.state).to.equal('disk_snapshot')
    })

    it('keeps a name of digits as text', () => {
      expect(parseSnapshotXml(SHUT_OFF.replace('<name>off1</name>', '<name>007</name>')).name).to.equal('007')
    })
  })

  describe('classifySnapshotError', () => {
    it('a taken name', () => {
      expect(classifySnapshotError('error: operation failed: domain moment s1 already exists\n')).to.deep.equal({kind: 'exists'})
    })

    it('no current snapshot, in both of virsh 9.0 wordings', () => {
      expect(classifySnapshotError("error: domain 'shop-web-1a2b3c4d' has no current snapshot\n")).to.deep.equal({kind: 'no-current'})
      expect(classifySnapshotError('error: Domain snapshot not found: the domain does not have a current snapshot\n')).to.deep.equal({kind: 'no-current'})
    })

    it('a running machine with a virtiofs folder: memory blocked by a live folder', () => {
      const stderr = 'error: Requested operation is not valid: cannot migrate domain: non-migratable device: 0000:00:01.0:00.0/vhost-user-fs\n'
      expect(classifySnapshotError(stderr)).to.deep.equal({kind: 'memory-blocked', blocker: 'non-migratable device: 0000:00:01.0:00.0/vhost-user-fs', liveFolder: true})
    })

    it('another migration blocker (modelled) is not called a live folder', () => {
      const stderr = 'error: Requested operation is not valid: cannot migrate domain: State blocked by non-migratable CPU device (invtsc flag)\n'
      expect(classifySnapshotError(stderr)).to.include({kind: 'memory-blocked', liveFolder: false})
    })

    it('a revert libvirt wants forced (modelled), with its reason', () => {
      const stderr = 'error: revert requires force: snapshot has no domain definition\n'
      expect(classifySnapshotError(stderr)).to.deep.equal({kind: 'needs-force', reason: 'snapshot has no domain definition'})
    })

    it('anything else, e.g. a missing snapshot (Virsh.query reads that one as not found)', () => {
      expect(classifySnapshotError("error: Domain snapshot not found: no domain snapshot with matching name 'nope'\n")).to.deep.equal({kind: 'other'})
    })
  })
})
