import {expect} from 'chai'

import {classifyVirshError, parseDhcpLeases, parseDomainState, parseDomainStateReason, parseKeyValues, parseNameList, parseVolumeList} from '../../../src/libvirt/virsh-parse.js'
import {readCapture} from '../fixture.js'

/* Every fixture is real virsh 9.0.0 output (LC_ALL=C); fixtures/capture.sh recorded them. */
const fixture = (name: string) => readCapture(new URL(`fixtures/${name}`, import.meta.url))

describe('libvirt/virsh-parse', () => {
  describe('parseDomainState', () => {
    const cases: Array<[string, string]> = [
      ['domstate-running.txt', 'running'],
      ['domstate-shut-off.txt', 'shutoff'],
      ['domstate-paused.txt', 'paused'],
      ['domstate-in-shutdown.txt', 'in_shutdown'],
    ]
    for (const [file, state] of cases) {
      it(`${file} → ${state}`, () => {
        expect(parseDomainState(fixture(file))).to.equal(state)
      })
    }
  })

  describe('parseKeyValues', () => {
    it('reads net-info', () => {
      expect(parseKeyValues(fixture('net-info.txt'))).to.deep.equal({
        Name: 'default',
        UUID: '8e6b3ee2-7c98-4ad9-be51-8914e0c376d4',
        Active: 'yes',
        Persistent: 'yes',
        Autostart: 'no',
        Bridge: 'virbr0',
      })
    })

    it('reads pool-info', () => {
      expect(parseKeyValues(fixture('pool-info.txt'))).to.deep.equal({
        Name: 'unittest-pool',
        UUID: '1c2da428-2545-410f-a3f8-0d7c764e9bc7',
        State: 'running',
        Persistent: 'yes',
        Autostart: 'no',
        Capacity: '251.97 GiB',
        Allocation: '23.74 GiB',
        Available: '228.23 GiB',
      })
    })

    it('reads vol-info --bytes', () => {
      expect(parseKeyValues(fixture('vol-info-bytes.txt'))).to.deep.equal({
        Name: 'unittest-vol.qcow2',
        Type: 'file',
        Capacity: '1073741824 bytes',
        Allocation: '200704 bytes',
      })
    })

    it('splits at the first colon only, so values may hold colons', () => {
      expect(parseKeyValues('Name:           a:b:c\nUUID:  x\n')).to.deep.equal({Name: 'a:b:c', UUID: 'x'})
    })
  })

  describe('parseNameList', () => {
    it('reads list --all --name (one name a line, the closing blank line dropped)', () => {
      expect(parseNameList(fixture('list-all-name.txt'))).to.deep.equal(['imgtest-fw', 'unittest-probe'])
    })

    it('gives no names for empty output', () => {
      expect(parseNameList('\n')).to.deep.equal([])
    })
  })

  describe('parseDhcpLeases', () => {
    it('reads every IPv4 row of net-dhcp-leases, "-" for a guest that sent no hostname', () => {
      expect(parseDhcpLeases(fixture('net-dhcp-leases.txt'))).to.deep.equal([
        {mac: '52:54:00:0d:d0:8d', ip: '192.168.122.16', prefix: 24, hostname: 'alpha'},
        {mac: '52:54:00:4f:61:33', ip: '192.168.122.85', prefix: 24, hostname: 'imgtest-host1'},
        {mac: '52:54:00:8c:29:f5', ip: '192.168.122.135', prefix: 24, hostname: '-'},
        {mac: '52:54:00:9f:55:29', ip: '192.168.122.121', prefix: 24, hostname: 'imgtest-rawfloor-29754'},
        {mac: '52:54:00:dc:4b:84', ip: '192.168.122.91', prefix: 24, hostname: 'default'},
        {mac: '52:54:00:fe:3e:a9', ip: '192.168.122.148', prefix: 24, hostname: 'beta'},
      ])
    })

    it('reads the one row of net-dhcp-leases --mac', () => {
      expect(parseDhcpLeases(fixture('net-dhcp-leases-mac.txt'))).to.deep.equal([
        {mac: '52:54:00:0d:d0:8d', ip: '192.168.122.16', prefix: 24, hostname: 'alpha'},
      ])
    })

    it('finds nothing in the header-only table of a MAC without a lease', () => {
      expect(parseDhcpLeases(fixture('net-dhcp-leases-none.txt'))).to.deep.equal([])
    })

    it('skips IPv6 rows and lower-cases the MAC (rows in libvirt\'s documented format)', () => {
      // No guest here has IPv6; the rows follow libvirt's net-dhcp-leases format (virsh(1)).
      const text = [
        ' Expiry Time           MAC address         Protocol   IP address                 Hostname   Client ID or DUID',
        '-----------------------------------------------------------------------------------------------------------------',
        ' 2026-11-27 22:07:55   52:54:00:0D:D0:8E   ipv6       fd00:122::4b/64            alpha      00:04:b1:a6:ce:62',
        ' 2026-11-27 22:07:55   52:54:00:0D:D0:8E   ipv4       10.0.0.7/8                 alpha      ff:00:0d:d0:8e',
        '',
      ].join('\n')
      expect(parseDhcpLeases(text)).to.deep.equal([{mac: '52:54:00:0d:d0:8e', ip: '10.0.0.7', prefix: 8, hostname: 'alpha'}])
    })
  })

  describe('parseDomainStateReason', () => {
    it('splits the state from libvirt\'s reason', () => {
      expect(parseDomainStateReason('paused (I/O error)\n\n')).to.deep.equal({state: 'paused', reason: 'I/O error'})
      expect(parseDomainStateReason('shut off (saved)\n')).to.deep.equal({state: 'shutoff', reason: 'saved'})
      expect(parseDomainStateReason('running (booted)\n')).to.deep.equal({state: 'running', reason: 'booted'})
      expect(parseDomainStateReason('running\n')).to.deep.equal({state: 'running'})
    })
  })

  describe('classifyVirshError (real stderr)', () => {
    const cases: Array<[string, string]> = [
      ['error-missing-domain.txt', 'not-found'],
      ['error-missing-pool.txt', 'not-found'],
      ['error-missing-network.txt', 'not-found'],
      ['error-missing-volume.txt', 'not-found'],
      ['error-no-socket.txt', 'no-socket'],
      ['error-connection-refused.txt', 'connect-refused'],
      ['error-permission-denied.txt', 'permission-denied'],
      // An unprivileged user where polkit cannot be asked (no D-Bus): libvirtd runs, the user
      // just may not use it; "is libvirtd running?" would send them the wrong way.
      ['error-unprivileged-polkit.txt', 'permission-denied'],
      ['error-other-pool-active.txt', 'other'],
      ['error-other-title-newline.txt', 'other'],
    ]
    for (const [file, kind] of cases) {
      it(`${file} → ${kind}`, () => {
        expect(classifyVirshError(fixture(file))).to.equal(kind)
      })
    }

    it('the fixtures hold the texts they are named after', () => {
      expect(fixture('error-missing-domain.txt')).to.equal("error: failed to get domain 'unittest-missing'\n")
      expect(fixture('error-no-socket.txt')).to.equal(
        "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/nonexist': No such file or directory\n",
      )
    })

    it('calls a write that ran out of space "no-space" (the shape libvirt gives qemu-img\'s failure)', () => {
      const stderr = "error: Failed to create vol web.qcow2\nerror: internal error: Child process (/usr/bin/qemu-img create -f qcow2 /var/lib/libvirt/images/vmfile/web.qcow2) unexpected exit status 1: qemu-img: /var/lib/libvirt/images/vmfile/web.qcow2: Could not write qcow2 header: No space left on device\n"
      expect(classifyVirshError(stderr)).to.equal('no-space')
    })

    it('calls a call cut off by libvirtd stopping "connect-refused": libvirt is not reachable any more', () => {
      // virsh 9.0, a call in flight when libvirtd got SIGTERM.
      expect(classifyVirshError('error: Disconnected from qemu:///system due to end of file\nerror: internal error: client socket is closed\n')).to.equal('connect-refused')
      expect(classifyVirshError('error: End of file while reading data: Input/output error\n')).to.equal('connect-refused')
    })

    it('calls an empty stderr "other"', () => {
      expect(classifyVirshError('')).to.equal('other')
    })
  })
})

describe('libvirt/virsh-parse: vol-list', () => {
  it('takes the first column under the rule, and nothing from an empty pool', () => {
    const out = ' Name         Path\n------------------------------------------\n base.qcow2   /tmp/p/base.qcow2\n ov.qcow2     /tmp/p/ov.qcow2\n\n'
    expect(parseVolumeList(out)).to.deep.equal(['base.qcow2', 'ov.qcow2'])
    expect(parseVolumeList(' Name   Path\n--------------\n\n')).to.deep.equal([])
  })
})
