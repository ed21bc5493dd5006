import {expect} from 'chai'

import {describeVersion} from '../../src/doctor/checks.js'
import {useProject, VIRSH, virsh, vm} from './helpers.js'

describe('vm doctor', () => {
  const project = useProject('box: debian-12\n')
  const sshVersion = {argv: ['ssh', '-V'], stderr: 'OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026\n'}

  it('libvirt unreachable: a FAIL with the fix, the other checks still run, exit 1', async () => {
    const result = await vm(project(), ['doctor'], [{argv: virsh('version'), stderr: VIRSH.noSocket, exitCode: 1}, sshVersion])
    expect(result.exitCode).to.equal(1)
    expect(result.stdout).to.match(/^FAIL {2}libvirt +Cannot reach libvirt at qemu:\/\/\/system: is libvirtd running\?$/m)
    expect(result.stdout).to.match(/^ +fix: Start it with `sudo systemctl start libvirtd`/m)
    expect(result.stdout).to.match(/^ok {4}ssh +OpenSSH_9\.2p1/m)
    expect(result.stdout).to.match(/^ok {4}qemu-img +qemu-img version /m)
    expect(result.stderr).to.match(/^1 problem blocks `vm up`: libvirt\.$/m)
  })

  it('--json gives every check with its status and fix', async () => {
    const result = await vm(project(), ['doctor', '--json'], [{argv: virsh('version'), stderr: VIRSH.noSocket, exitCode: 1}, sshVersion])
    expect(result.exitCode).to.equal(1)
    const checks = JSON.parse(result.stdout) as {name: string; status: string; fix?: string}[]
    expect(checks.map((c) => [c.name, c.status])).to.deep.include.members([['libvirt', 'fail'], ['ssh', 'ok'], ['qemu-img', 'ok']])
    expect(checks.find((c) => c.name === 'libvirt')?.fix).to.match(/libvirtd/)
  })

  it('reads the library and hypervisor versions from virsh version', () => {
    const text = 'Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.22\n'
    expect(describeVersion(text)).to.equal('libvirt 9.0.0, QEMU 7.2.22')
  })
})
