import {expect} from 'chai'

import {parseDomainFacts} from '../../../src/libvirt/domain-facts.js'
import {renderDomainXml} from '../../../src/libvirt/domain-xml.js'
import {readCapture} from '../fixture.js'
import {FIXTURE_DOMAIN, FIXTURE_SPECS, HOSTILE_PROJECT} from './fixtures/render-domain.js'

/*
 * The dumpxml fixtures are real: fixtures/capture.sh defined domains in libvirt 9.0 from our
 * renderer (fixtures/render-domain.ts) and recorded `virsh dumpxml` of each.
 */
const fixture = (name: string) => readCapture(new URL(`fixtures/${name}`, import.meta.url))

const OURS = {
  uuid: '6f1c2a3e-1111-4222-8333-944455566677',
  mac: '52:54:00:ab:cd:ef',
  network: 'default',
  owner: {projectDir: '/home/ana/shop', machine: 'web'},
  serialLogPath: `/var/log/libvirt/qemu/${FIXTURE_DOMAIN}-serial.log`,
  cpus: 2,
  memoryBytes: 2 ** 30,
  interfaces: [{mac: '52:54:00:ab:cd:ef', network: 'default'}],
}

describe('libvirt/domain-facts', () => {
  it('reads our domain back from libvirt', () => {
    expect(parseDomainFacts(fixture('dumpxml-ours.txt'))).to.deep.equal(OURS)
  })

  it('finds our metadata by namespace when libvirt keeps it under another prefix', () => {
    const xml = fixture('dumpxml-prefix-rewritten.txt')
    expect(xml).to.include('<vmfile:machine xmlns:vmfile="https://vmfile.dev/xmlns/machine/1">')
    expect(parseDomainFacts(xml)).to.deep.equal(OURS)
  })

  it('decodes a project path with <, &, quotes and a newline as libvirt wrote it back', () => {
    const facts = parseDomainFacts(fixture('dumpxml-hostile.txt'))
    expect(facts.owner).to.deep.equal({projectDir: HOSTILE_PROJECT, machine: 'web'})
    expect(facts.uuid).to.equal('6f1c2a3e-1111-4222-8333-944455566678')
  })

  it('has no owner for a domain vm did not create (and no serial log); the MAC comes lower-cased', () => {
    // The fixture's domain was defined with MAC 52:54:00:AA:BB:CC.
    expect(parseDomainFacts(fixture('dumpxml-foreign.txt'))).to.deep.equal({
      uuid: '3f5ade39-403e-4614-b389-531ef039c4af',
      mac: '52:54:00:aa:bb:cc',
      network: 'default',
      owner: undefined,
      serialLogPath: undefined,
      cpus: 1,
      memoryBytes: 64 * 2 ** 20,
      interfaces: [{mac: '52:54:00:aa:bb:cc', network: 'default'}],
    })
    expect(parseDomainFacts(fixture('dumpxml-ours.txt').replace("'52:54:00:ab:cd:ef'", "'52:54:00:AB:CD:EF'")).mac).to.equal('52:54:00:ab:cd:ef')
  })

  it('ignores metadata of other tools and of another namespace under our prefix', () => {
    const ours = fixture('dumpxml-ours.txt')
    const otherTool = ours.replace(
      '<metadata>',
      '<metadata>\n    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">\n      <libosinfo:os id="http://debian.org/debian/12"/>\n    </libosinfo:libosinfo>',
    )
    expect(parseDomainFacts(otherTool).owner).to.deep.equal(OURS.owner)
    const otherNamespace = ours.replace('xmlns:vm="https://vmfile.dev/xmlns/machine/1"', 'xmlns:vm="https://example.org/machine/1"')
    expect(otherNamespace).to.not.equal(ours)
    expect(parseDomainFacts(otherNamespace).owner).to.equal(undefined)
  })

  it('reads the uid of the user who made the machine; a domain from before vm recorded it has none', () => {
    const spec = {...FIXTURE_SPECS.hostile!, owner: {...FIXTURE_SPECS.hostile!.owner, uid: 1001}}
    expect(parseDomainFacts(renderDomainXml(spec)).owner?.uid).to.equal(1001)
    // The captured fixtures were defined before the uid was written.
    expect(parseDomainFacts(fixture('dumpxml-ours.txt')).owner).to.not.have.property('uid')
    const forged = fixture('dumpxml-ours.txt').replace('</vm:machine>', '<vm:user uid="-1"/></vm:machine>')
    expect(forged).to.include('uid="-1"')
    expect(parseDomainFacts(forged).owner).to.not.have.property('uid')
  })

  it('keeps values strings: a machine named 007 stays "007"', () => {
    const xml = fixture('dumpxml-ours.txt').replace('<vm:name>web</vm:name>', '<vm:name>007</vm:name>')
    expect(parseDomainFacts(xml).owner).to.deep.equal({projectDir: '/home/ana/shop', machine: '007'})
  })

  it("reads what our renderer wrote, before libvirt's rewriting", () => {
    const spec = FIXTURE_SPECS.hostile!
    expect(parseDomainFacts(renderDomainXml(spec))).to.deep.equal({
      uuid: spec.uuid,
      mac: spec.mac,
      network: spec.network,
      owner: {projectDir: HOSTILE_PROJECT, machine: 'web', uid: 1000},
      serialLogPath: spec.serialLogPath,
      cpus: spec.cpus,
      memoryBytes: spec.memoryBytes,
      interfaces: [{mac: spec.mac, network: spec.network}],
    })
  })

  it('lists every NIC in order, on networks and bridges', () => {
    const spec = {
      ...FIXTURE_SPECS.hostile!,
      extraInterfaces: [
        {kind: 'network', network: 'vm-shop', mac: '52:54:00:00:00:02'},
        {kind: 'bridge', bridge: 'br0', mac: '52:54:00:00:00:03'},
      ] as const,
    }
    expect(parseDomainFacts(renderDomainXml(spec)).interfaces).to.deep.equal([
      {mac: spec.mac, network: spec.network},
      {mac: '52:54:00:00:00:02', network: 'vm-shop'},
      {mac: '52:54:00:00:00:03', bridge: 'br0'},
    ])
  })
})
