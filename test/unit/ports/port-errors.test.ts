import {expect} from 'chai'

import {VmError, renderError} from '../../../src/errors.js'
import type {PortProbe} from '../../../src/ports/busy-ports.js'
import {hostfwdFailedError, portProbeError} from '../../../src/ports/port-errors.js'
import type {PortForward} from '../../../src/vmfile/types.js'

const WEB: PortForward = {hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80, protocol: 'tcp'}
const DNS: PortForward = {hostIp: '0.0.0.0', hostPort: 5353, guestPort: 53, protocol: 'udp'}
const HTTP: PortForward = {hostIp: '127.0.0.1', hostPort: 80, guestPort: 80, protocol: 'tcp'}
const HTTPS: PortForward = {hostIp: '127.0.0.1', hostPort: 443, guestPort: 443, protocol: 'tcp'}
const ELSEWHERE: PortForward = {hostIp: '192.0.2.1', hostPort: 8080, guestPort: 80, protocol: 'tcp'}

const probe = (found: Partial<PortProbe>): PortProbe => ({busy: [], privileged: [], unavailable: [], unprivilegedPortStart: 1024, ...found})

describe('ports/port-errors', () => {
  it('is undefined when every port looks free', () => {
    expect(portProbeError(probe({}))).to.equal(undefined)
  })

  it('names busy ports with the command that shows their holder', () => {
    const error = portProbeError(probe({busy: [WEB, DNS]}), 'web')!
    expect(error).to.be.instanceOf(VmError)
    expect(error.code).to.equal('PORT_IN_USE')
    expect(error.exitCode).to.equal(1)
    expect(renderError(error)).to.equal(
      [
        'Error: Forwarded ports 127.0.0.1:8080/tcp, 0.0.0.0:5353/udp of machine web are already in use on this host.',
        "  127.0.0.1:8080 → 80/tcp: in use; see what holds it: ss -ltnp 'sport = :8080'",
        "  0.0.0.0:5353 → 53/udp: in use; see what holds it: ss -lunp 'sport = :5353'",
        'Hint: Stop the program holding each port or change the host port under `ports:` in the Vmfile.',
      ].join('\n'),
    )
  })

  it('explains privileged ports with both fixes, the sysctl set to the lowest port', () => {
    const error = portProbeError(probe({privileged: [HTTPS, HTTP]}))!
    expect(error.code).to.equal('PORT_PRIVILEGED')
    expect(renderError(error)).to.equal(
      [
        'Error: Forwarded ports 127.0.0.1:443/tcp, 127.0.0.1:80/tcp are privileged ports, which QEMU (unprivileged under libvirt) cannot bind.',
        '  127.0.0.1:443 → 443/tcp: port 443 is below 1024 (net.ipv4.ip_unprivileged_port_start)',
        '  127.0.0.1:80 → 80/tcp: port 80 is below 1024 (net.ipv4.ip_unprivileged_port_start)',
        'Hint: Pick a host port of 1024 or more (e.g. "8080:80"), or let unprivileged programs bind from 80 up: sudo sysctl net.ipv4.ip_unprivileged_port_start=80',
      ].join('\n'),
    )
  })

  it('says when an address is not on this host', () => {
    const error = portProbeError(probe({unavailable: [ELSEWHERE]}))!
    expect(error.code).to.equal('PORT_ADDRESS_UNAVAILABLE')
    expect(error.message).to.equal('Forwarded port 192.0.2.1:8080/tcp names an address this host does not have.')
    expect(error.detail).to.equal('  192.0.2.1:8080 → 80/tcp: 192.0.2.1 is not an address of this host')
    expect(error.hint).to.equal('Use 127.0.0.1, 0.0.0.0 or an address that `ip -4 addr` lists.')
  })

  it('lists every problem when there are several kinds, coded by the first', () => {
    const error = portProbeError(probe({busy: [WEB], privileged: [HTTP], unavailable: [ELSEWHERE]}), 'web')!
    expect(error.code).to.equal('PORT_IN_USE')
    expect(error.message).to.equal('3 forwarded ports of machine web cannot be bound on this host: 127.0.0.1:8080/tcp, 127.0.0.1:80/tcp, 192.0.2.1:8080/tcp.')
    expect(error.detail?.split('\n')).to.have.length(3)
    expect(error.hint).to.include('Stop the program holding the port').and.include('ip_unprivileged_port_start=80').and.include('ip -4 addr')
    expect(portProbeError(probe({privileged: [HTTP], unavailable: [ELSEWHERE]}))!.code).to.equal('PORT_PRIVILEGED')
  })

  it('explains a forward QEMU could not bind at start', () => {
    const error = hostfwdFailedError({hostIp: '127.0.0.1', hostPort: 8080, protocol: 'tcp'}, 'web')
    expect(error.code).to.equal('PORT_IN_USE')
    expect(renderError(error)).to.equal(
      [
        'Error: QEMU could not bind forwarded port 127.0.0.1:8080/tcp of machine web; another program probably took it while the machine was starting.',
        "Hint: See what holds it: ss -ltnp 'sport = :8080'; stop that program or change the host port under `ports:` in the Vmfile, then run `vm up` again.",
      ].join('\n'),
    )
  })
})
