import {expect} from 'chai'

import {parseDomainFacts} from '../../../src/libvirt/domain-facts.js'
import {updateDomainXml} from '../../../src/libvirt/domain-update.js'
import {forwardNetdevArgs, parseForwardMacFromDomainXml, parseForwardsFromDomainXml} from '../../../src/ports/qemu-args.js'
import {readCapture} from '../fixture.js'

const fixture = (name: string) => readCapture(new URL(`fixtures/${name}`, import.meta.url))

/** The sequence of element names, in document order: what must not move when values change. */
const tags = (xml: string) => [...xml.matchAll(/<([a-zA-Z:]+)[\s/>]/g)].map((m) => m[1])

const FORWARD = {hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80, protocol: 'tcp' as const}
const MAC = '52:54:00:aa:bb:cc'

describe('libvirt/domain-update', () => {
  const ours = fixture('dumpxml-ours.txt')

  it('reads the CPUs and memory libvirt has (real dumpxml)', () => {
    const facts = parseDomainFacts(ours)
    expect(facts.cpus).to.equal(2)
    expect(facts.memoryBytes).to.equal(2 ** 30)
  })

  it('changes CPUs and memory and keeps every other element, in libvirt\'s order', () => {
    const updated = updateDomainXml(ours, {memoryBytes: 3 * 2 ** 30, cpus: 4, qemuArgs: []})
    const before = parseDomainFacts(ours)
    const after = parseDomainFacts(updated)
    expect(after).to.deep.equal({...before, cpus: 4, memoryBytes: 3 * 2 ** 30})
    expect(updated).to.match(/<currentMemory unit="KiB">3145728<\/currentMemory>/)
    expect(tags(updated)).to.deep.equal(tags(ours))
  })

  it('replaces the port-forward arguments, removes them, and adds them with the qemu namespace', () => {
    const withForward = updateDomainXml(ours, {memoryBytes: 2 ** 30, cpus: 2, qemuArgs: forwardNetdevArgs([FORWARD], MAC)})
    expect(parseForwardsFromDomainXml(withForward)).to.deep.equal([FORWARD])
    expect(parseForwardMacFromDomainXml(withForward)).to.equal(MAC)
    expect(withForward).to.contain('xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"')
    const moved = {...FORWARD, hostPort: 9090}
    const changed = updateDomainXml(withForward, {memoryBytes: 2 ** 30, cpus: 2, qemuArgs: forwardNetdevArgs([moved, {...FORWARD, protocol: 'udp'}], MAC)})
    expect(parseForwardsFromDomainXml(changed)).to.deep.equal([moved, {...FORWARD, protocol: 'udp'}])
    expect(changed.match(/<qemu:commandline>/g)).to.have.length(1)
    const removed = updateDomainXml(changed, {memoryBytes: 2 ** 30, cpus: 2, qemuArgs: []})
    expect(removed).to.not.contain('qemu:commandline')
    expect(parseForwardMacFromDomainXml(removed)).to.equal(undefined)
  })

  it('escapes what it writes (a value cannot open an element)', () => {
    const updated = updateDomainXml(ours, {memoryBytes: 2 ** 30, cpus: 2, qemuArgs: ['a"/><evil x="']})
    expect(updated).to.not.contain('<evil')
  })
})
