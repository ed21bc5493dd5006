import {expect} from 'chai'

import {METADATA_NS, renderDomainXml, type DomainSpec} from '../../../src/libvirt/domain-xml.js'
import {expectGolden, runTool, useXmlScratch} from '../fixture.js'

/*
 * Golden files in ./domain-xml/<case>.xml (vagrant-libvirt's convention: the folder is named after
 * the test). After a deliberate change: UPDATE_GOLDEN=1 npx mocha test/unit/libvirt/domain-xml.test.ts
 * and review the diff. Every case is also checked against libvirt's own RELAX NG schema
 * (virt-xml-validate, which needs xmllint) and read back with libxml2 (xmllint), the parser
 * libvirt itself uses, so neither check shares code with our XML builder.
 */

const KVM_DEFAULTS: DomainSpec = {
  name: 'shop-web-1a2b3c4d',
  uuid: '6f1c2a3e-1111-4222-8333-944455566677',
  type: 'kvm',
  title: 'vm: web (/home/ana/shop)',
  memoryBytes: 1024 * 1024 * 1024,
  cpus: 2,
  arch: 'x86_64',
  pool: 'vmfile',
  overlayVolume: 'shop-web-1a2b3c4d.qcow2',
  seedVolume: 'shop-web-1a2b3c4d-seed.iso',
  network: 'default',
  mac: '52:54:00:ab:cd:ef',
  serialLogPath: '/var/log/libvirt/qemu/shop-web-1a2b3c4d-serial.log',
  owner: {projectDir: '/home/ana/shop', machine: 'web', toolVersion: '0.1.0', boxSha256: 'ab'.repeat(32), uid: 1000},
}

const QEMU_TCG: DomainSpec = {
  ...KVM_DEFAULTS,
  name: 'shop-db-1a2b3c4d',
  uuid: '0b7e4d8c-2222-4333-8444-a55566677788',
  type: 'qemu',
  title: 'vm: db (/home/ana/shop)',
  // Not a whole number of KiB: libvirt takes KiB, rounded down.
  memoryBytes: 3 * 1024 * 1024 * 1024 + 1023,
  cpus: 1,
  overlayVolume: 'shop-db-1a2b3c4d.qcow2',
  seedVolume: 'shop-db-1a2b3c4d-seed.iso',
  mac: '52:54:00:01:02:03',
  serialLogPath: '/home/ana/.cache/libvirt/qemu/log/shop-db-1a2b3c4d-serial.log',
  owner: {projectDir: '/home/ana/shop', machine: 'db', toolVersion: '0.1.0', boxSha256: 'cd'.repeat(32), uid: 1000},
}

const HOSTILE_PROJECT = `/home/ana/<b> & "c" 'd' ]]> <!--\nline2`
const HOSTILE: DomainSpec = {
  ...KVM_DEFAULTS,
  name: `unittest-<&"'>`,
  title: `vm: web<&"'> (${HOSTILE_PROJECT})`,
  pool: `pool<&"'>`,
  overlayVolume: `vol<&"'>.qcow2`,
  seedVolume: `seed<&"'>.iso`,
  network: `net<&"'>`,
  serialLogPath: `/var/log/it's "<&>".log`,
  owner: {projectDir: HOSTILE_PROJECT, machine: `web<&"'>\nrm -rf /`, toolVersion: `0.1.0"/><evil/>`, boxSha256: `ab"/><evil x="`, uid: 1000},
}

const QEMU_TCG_V3: DomainSpec = {...QEMU_TCG, x86_64Level: 3}

/** Every device issue 4 adds: a private network and a bridge NIC, live folders, port forwards. */
const ENVIRONMENT: DomainSpec = {
  ...QEMU_TCG,
  extraInterfaces: [
    {kind: 'network', network: 'vm-shop-1a2b3c4d', mac: '52:54:00:01:02:04'},
    {kind: 'bridge', bridge: 'br0', mac: '52:54:00:01:02:05'},
  ],
  filesystems: [
    {driver: 'virtiofs', hostPath: `/home/ana/shop/site & "more"`, tag: 'vm-folder-0'},
    {driver: '9p', hostPath: '/home/ana/shop/data', tag: 'vm-folder-1'},
  ],
  virtiofsdPath: '/usr/lib/qemu/virtiofsd',
  qemuArgs: ['-netdev', 'user,id=vmfwd,restrict=on,hostfwd=tcp:127.0.0.1:8080-:80', '-device', 'virtio-net-pci,netdev=vmfwd,mac=52:54:00:01:02:06,bus=pcie.0,addr=0x10'],
}

const CASES: Record<string, DomainSpec> = {
  'kvm-defaults': KVM_DEFAULTS,
  'qemu-tcg': QEMU_TCG,
  'qemu-tcg-v3': QEMU_TCG_V3,
  hostile: HOSTILE,
  environment: ENVIRONMENT,
}

const golden = (name: string) => new URL(`domain-xml/${name}.xml`, import.meta.url)

describe('libvirt/domain-xml', () => {
  const {file, xpath} = useXmlScratch('vm-domain-xml-')

  for (const [name, spec] of Object.entries(CASES)) {
    describe(name, () => {
      it('renders the golden file', () => {
        expectGolden(renderDomainXml(spec), golden(name))
      })

      it("is valid per libvirt's domain schema (virt-xml-validate)", () => {
        const path = file(name, renderDomainXml(spec))
        const result = runTool('virt-xml-validate', [path, 'domain'], 'libvirt-clients libxml2-utils')
        expect(`${result.stdout}${result.stderr}`.trim()).to.equal(`${path} validates`)
        expect(result.status).to.equal(0)
      })

      it('is well-formed for libxml2 with exactly one root element', () => {
        const path = file(name, renderDomainXml(spec))
        expect(xpath(path, 'count(/*)')).to.equal('1')
        expect(xpath(path, 'name(/*)')).to.equal('domain')
      })
    })
  }

  it('is pure: the same spec gives the same bytes', () => {
    expect(renderDomainXml(structuredClone(KVM_DEFAULTS))).to.equal(renderDomainXml(KVM_DEFAULTS))
  })

  it('asks for host-model CPU under KVM and leaves the CPU model to QEMU under TCG', () => {
    const kvm = file('kvm-cpu', renderDomainXml(KVM_DEFAULTS))
    const tcg = file('tcg-cpu', renderDomainXml(QEMU_TCG))
    expect(xpath(kvm, 'string(/domain/@type)')).to.equal('kvm')
    expect(xpath(kvm, 'string(/domain/cpu/@mode)')).to.equal('host-model')
    expect(xpath(tcg, 'string(/domain/@type)')).to.equal('qemu')
    expect(xpath(tcg, 'count(/domain/cpu)')).to.equal('0')
  })

  it("gives TCG QEMU's max model when the box needs x86-64-v2 or newer (qemu64 is level 1)", () => {
    const v3 = file('tcg-v3', renderDomainXml(QEMU_TCG_V3))
    expect(xpath(v3, 'string(/domain/cpu/@mode)')).to.equal('maximum')
    const kvm = file('kvm-v3', renderDomainXml({...KVM_DEFAULTS, x86_64Level: 3}))
    expect(xpath(kvm, 'string(/domain/cpu/@mode)')).to.equal('host-model')
  })

  it('shares memory only when a folder uses virtiofs, and passes QEMU arguments in their own namespace', () => {
    const path = file('environment', renderDomainXml(ENVIRONMENT))
    expect(xpath(path, 'string(/domain/memoryBacking/access/@mode)')).to.equal('shared')
    expect(xpath(path, 'string(/domain/memoryBacking/source/@type)')).to.equal('memfd')
    expect(xpath(path, 'count(/domain/devices/interface)')).to.equal('3')
    expect(xpath(path, "string(/domain/devices/interface[3]/source/@bridge)")).to.equal('br0')
    expect(xpath(path, "string(/domain/devices/filesystem[1]/source/@dir)")).to.equal(`/home/ana/shop/site & "more"`)
    expect(xpath(path, "count(/domain/*[local-name()='commandline' and namespace-uri()='http://libvirt.org/schemas/domain/qemu/1.0']/*)")).to.equal('4')
    const plain = file('no-virtiofs', renderDomainXml({...ENVIRONMENT, filesystems: [{driver: '9p', hostPath: '/x', tag: 't'}]}))
    expect(xpath(plain, 'count(/domain/memoryBacking)')).to.equal('0')
  })

  it('gives memory in KiB, rounded down', () => {
    const path = file('memory', renderDomainXml(QEMU_TCG))
    expect(xpath(path, 'string(/domain/memory/@unit)')).to.equal('KiB')
    expect(xpath(path, 'string(/domain/memory)')).to.equal(String(3 * 1024 * 1024))
  })

  it('puts the seed ISO on virtio-scsi, never SATA (Debian cloud kernels have no AHCI)', () => {
    const path = file('seed', renderDomainXml(KVM_DEFAULTS))
    expect(xpath(path, 'string(/domain/devices/disk[@device="cdrom"]/target/@bus)')).to.equal('scsi')
    expect(xpath(path, 'string(/domain/devices/controller[@type="scsi"]/@model)')).to.equal('virtio-scsi')
    expect(xpath(path, 'count(/domain/devices/disk[@device="cdrom"]/readonly)')).to.equal('1')
    expect(xpath(path, 'count(//*[@bus="sata"])')).to.equal('0')
  })

  describe('hostile values (<, &, quotes, newline, CDATA and comment openers)', () => {
    let path: string

    before(() => {
      path = file('hostile-roundtrip', renderDomainXml(HOSTILE))
    })

    it('adds no element or attribute: the document has the shape of the plain one', () => {
      const count = (p: string) => [xpath(p, 'count(//*)'), xpath(p, 'count(//@*)')]
      expect(count(path)).to.deep.equal(count(file('plain-shape', renderDomainXml(KVM_DEFAULTS))))
      expect(xpath(path, 'count(//evil)')).to.equal('0')
    })

    it('reads back every text value exactly (newlines included)', () => {
      const machine = `/domain/metadata/*[local-name()="machine" and namespace-uri()="${METADATA_NS}"]`
      expect(xpath(path, 'string(/domain/name)')).to.equal(HOSTILE.name)
      expect(xpath(path, `string(${machine}/*[local-name()="project"])`)).to.equal(HOSTILE_PROJECT)
      expect(xpath(path, `string(${machine}/*[local-name()="name"])`)).to.equal(HOSTILE.owner.machine)
      expect(xpath(path, `string(${machine}/*[local-name()="tool-version"])`)).to.equal(HOSTILE.owner.toolVersion)
    })

    it('reads back every attribute value exactly', () => {
      const machine = `/domain/metadata/*[local-name()="machine"]`
      expect(xpath(path, `string(${machine}/*[local-name()="box"]/@sha256)`)).to.equal(HOSTILE.owner.boxSha256)
      expect(xpath(path, 'string(/domain/devices/disk[@device="disk"]/source/@pool)')).to.equal(HOSTILE.pool)
      expect(xpath(path, 'string(/domain/devices/disk[@device="disk"]/source/@volume)')).to.equal(HOSTILE.overlayVolume)
      expect(xpath(path, 'string(/domain/devices/disk[@device="cdrom"]/source/@volume)')).to.equal(HOSTILE.seedVolume)
      expect(xpath(path, 'string(/domain/devices/interface/source/@network)')).to.equal(HOSTILE.network)
      expect(xpath(path, 'string(/domain/devices/serial/log/@file)')).to.equal(HOSTILE.serialLogPath)
    })

    it('keeps the title on one line: libvirt refuses a title with a newline ("Domain title can\'t contain newlines")', () => {
      expect(xpath(path, 'string(/domain/title)')).to.equal(`vm: web<&"'> (/home/ana/<b> & "c" 'd' ]]> <!-- line2)`)
    })
  })
})
