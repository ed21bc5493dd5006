import {expect} from 'chai'

import {resolveLibvirtSettings} from '../../../src/libvirt/settings.js'

const HOME = '/home/ana'

describe('libvirt/settings', () => {
  it('talks to qemu:///system with the vmfile pool by default', () => {
    expect(resolveLibvirtSettings({}, HOME)).to.deep.equal({
      uri: 'qemu:///system',
      pool: 'vmfile',
      poolPath: '/var/lib/libvirt/images/vmfile',
      network: 'default',
      serialLogDir: '/var/log/libvirt/qemu',
      system: true,
      kvmDeviceCheck: 'exists',
      local: true,
    })
  })

  it('takes VM_LIBVIRT_URI over LIBVIRT_DEFAULT_URI, and VM_POOL', () => {
    const settings = resolveLibvirtSettings({VM_LIBVIRT_URI: 'qemu+unix:///system', LIBVIRT_DEFAULT_URI: 'qemu:///session', VM_POOL: 'vmfile-e2e'}, HOME)
    expect(settings.uri).to.equal('qemu+unix:///system')
    expect(settings.pool).to.equal('vmfile-e2e')
    expect(settings.poolPath).to.equal('/var/lib/libvirt/images/vmfile-e2e')
    expect(settings.kvmDeviceCheck).to.equal('exists')
  })

  it('falls back to LIBVIRT_DEFAULT_URI; empty values count as unset', () => {
    expect(resolveLibvirtSettings({VM_LIBVIRT_URI: '', LIBVIRT_DEFAULT_URI: 'qemu:///session', VM_POOL: ''}, HOME)).to.include({
      uri: 'qemu:///session',
      pool: 'vmfile',
    })
  })

  it('keeps session volumes and logs under the user\'s XDG folders', () => {
    expect(resolveLibvirtSettings({LIBVIRT_DEFAULT_URI: 'qemu:///session'}, HOME)).to.deep.equal({
      uri: 'qemu:///session',
      pool: 'vmfile',
      poolPath: '/home/ana/.local/share/libvirt/images/vmfile',
      network: 'default',
      serialLogDir: '/home/ana/.cache/libvirt/qemu/log',
      system: false,
      kvmDeviceCheck: 'read-write',
      local: true,
    })
    const xdg = resolveLibvirtSettings({VM_LIBVIRT_URI: 'qemu:///session', XDG_DATA_HOME: '/data', XDG_CACHE_HOME: '/cache'}, HOME)
    expect(xdg.poolPath).to.equal('/data/libvirt/images/vmfile')
    expect(xdg.serialLogDir).to.equal('/cache/libvirt/qemu/log')
  })

  it('ignores relative XDG folders, as the XDG spec says', () => {
    const settings = resolveLibvirtSettings({VM_LIBVIRT_URI: 'qemu:///session', XDG_DATA_HOME: 'data', XDG_CACHE_HOME: './cache'}, HOME)
    expect(settings.poolPath).to.equal('/home/ana/.local/share/libvirt/images/vmfile')
    expect(settings.serialLogDir).to.equal('/home/ana/.cache/libvirt/qemu/log')
  })

  it('has no serial log folder and trusts libvirt about KVM for a remote host', () => {
    const settings = resolveLibvirtSettings({VM_LIBVIRT_URI: 'qemu+ssh://lab.example.org/system'}, HOME)
    expect(settings).to.deep.equal({
      uri: 'qemu+ssh://lab.example.org/system',
      pool: 'vmfile',
      poolPath: '/var/lib/libvirt/images/vmfile',
      network: 'default',
      serialLogDir: undefined,
      system: false,
      kvmDeviceCheck: 'remote',
      local: false,
    })
  })
})
