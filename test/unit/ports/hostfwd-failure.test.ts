import {expect} from 'chai'

import {parseHostfwdFailure} from '../../../src/ports/hostfwd-failure.js'

/*
 * Not captured (no VM is started by unit tests): assembled from libvirt 9.0's start-failure
 * wording around QEMU 7.2's message, whose format string `strings /usr/bin/qemu-system-x86_64`
 * shows as "Could not set up host forwarding rule '%s'".
 */
const NETDEV = 'user,id=vmfwd,restrict=on,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:18080-:80,hostfwd=udp:127.0.0.1:18081-:81'
const startFailure = (rule: string) =>
  [
    "error: Failed to start domain 'vm-shop-web-1a2b3c4d'",
    `error: internal error: qemu unexpectedly closed the monitor: 2024-05-01T10:00:00.123456Z qemu-system-x86_64: -netdev ${NETDEV}: Could not set up host forwarding rule '${rule}'`,
    '',
  ].join('\n')

describe('ports/hostfwd-failure', () => {
  it('reads the failed rule, not the others the -netdev argument repeats', () => {
    expect(parseHostfwdFailure(startFailure('udp:127.0.0.1:18081-:81'))).to.deep.equal({hostIp: '127.0.0.1', hostPort: 18081, protocol: 'udp'})
    expect(parseHostfwdFailure(startFailure('tcp:127.0.0.1:18080-:80'))).to.deep.equal({hostIp: '127.0.0.1', hostPort: 18080, protocol: 'tcp'})
  })

  it("understands QEMU's defaults and older QEMU's lower-case wording", () => {
    expect(parseHostfwdFailure("qemu-system-x86_64: could not set up host forwarding rule '::8022-:22'")).to.deep.equal({
      hostIp: '0.0.0.0',
      hostPort: 8022,
      protocol: 'tcp',
    })
    expect(parseHostfwdFailure("Could not set up host forwarding rule 'UDP:0.0.0.0:53-10.0.2.15:53'")).to.deep.equal({
      hostIp: '0.0.0.0',
      hostPort: 53,
      protocol: 'udp',
    })
  })

  it('is undefined for other start failures, including a rule QEMU found invalid', () => {
    expect(parseHostfwdFailure("error: Failed to start domain 'x'\nerror: Cannot access storage file '/nope.qcow2': No such file or directory")).to.equal(undefined)
    expect(parseHostfwdFailure("Invalid host forwarding rule 'tcp:127.0.0.1:x-:80' (Bad host port)")).to.equal(undefined)
    expect(parseHostfwdFailure('')).to.equal(undefined)
  })
})
