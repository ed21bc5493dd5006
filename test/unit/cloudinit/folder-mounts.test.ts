import {expect} from 'chai'

import {folderMountConfig} from '../../../src/cloudinit/folder-mounts.js'

describe('cloudinit/folder-mounts', () => {
  it('gives each folder an fstab entry with its options and a mkdir of its mount point, in order', () => {
    const config = folderMountConfig([
      {tag: 'vm-folder-0', guestPath: '/vagrant', fsType: 'virtiofs'},
      {tag: 'vm-folder-1', guestPath: '/srv/data', fsType: '9p'},
    ])
    expect(config).to.deep.equal({
      mounts: [
        ['vm-folder-0', '/vagrant', 'virtiofs', 'defaults,nofail', '0', '0'],
        ['vm-folder-1', '/srv/data', '9p', 'trans=virtio,version=9p2000.L,msize=262144,nofail', '0', '0'],
      ],
      bootcmd: [
        ['mkdir', '-p', '--', '/vagrant'],
        ['mkdir', '-p', '--', '/srv/data'],
      ],
    })
  })

  it('gives nothing for no folders', () => {
    expect(folderMountConfig([])).to.deep.equal({mounts: [], bootcmd: []})
  })

  it('escapes white space and backslashes in fstab fields, but creates the real path', () => {
    const config = folderMountConfig([{tag: 'a b', guestPath: '/srv/my app\t\\x\nü', fsType: 'virtiofs'}])
    expect(config.mounts[0]!.slice(0, 2)).to.deep.equal(['a\\040b', '/srv/my\\040app\\011\\134x\\012ü'])
    expect(config.bootcmd).to.deep.equal([['mkdir', '-p', '--', '/srv/my app\t\\x\nü']])
  })

  it('passes a hostile path to mkdir as one argument, not as shell text', () => {
    const guestPath = "/x'; touch /pwned; echo '"
    expect(folderMountConfig([{tag: 't', guestPath, fsType: '9p'}]).bootcmd).to.deep.equal([['mkdir', '-p', '--', guestPath]])
  })
})
