import {expect} from 'chai'

import {chooseDisk} from '../../../../src/box/unpack/choose-disk.js'
import type {TarMember} from '../../../../src/box/unpack/tar-members.js'
import {checkVagrantMetadata} from '../../../../src/box/unpack/vagrant-box.js'

let next = 0
const file = (path: string, type = 'File'): TarMember => ({index: next++, path, realPath: path, type, size: 1, sparse: false})

describe('box/unpack chooseDisk', () => {
  it('picks the one disk of a plain tarball, whatever else it holds', () => {
    const disk = file('./disk.raw')
    expect(chooseDisk([file('./', 'Directory'), file('./README'), disk], undefined)).to.deep.equal({member: disk, vagrant: false})
    const img = file('images/debian.IMG')
    expect(chooseDisk([img, file('images/SHA256SUMS')], undefined)).to.deep.equal({member: img, vagrant: false})
  })

  it('refuses zero disks or several, naming the files', () => {
    expect(chooseDisk([file('README'), file('disk.vmdk'), file('d.img', 'Directory')], undefined)).to.deep.equal({
      problem: 'the archive holds no disk image (*.raw, *.img or *.qcow2), only "README", "disk.vmdk"',
    })
    expect(chooseDisk([], undefined)).to.deep.equal({problem: 'the archive holds no disk image (*.raw, *.img or *.qcow2), only no files'})
    expect(chooseDisk([file('a.raw'), file('./b.qcow2')], undefined)).to.deep.equal({
      problem: 'the archive holds 2 disk images ("a.raw", "b.qcow2") and vm cannot tell which one to boot',
    })
  })

  it('matches a sparse member by its real name', () => {
    const sparse: TarMember = {...file('./GNUSparseFile.77/disk.raw'), realPath: './disk.raw', sparse: true}
    expect(chooseDisk([sparse], undefined)).to.deep.equal({member: sparse, vagrant: false})
  })

  describe('Vagrant boxes', () => {
    const metadata = file('./metadata.json')

    it('yields box.img of a libvirt box and ignores the other members', () => {
      const box = file('./box.img')
      const members = [metadata, file('./Vagrantfile'), file('./info.json'), file('extra.raw'), box]
      expect(chooseDisk(members, '{"provider":"libvirt","format":"qcow2","virtual_size":20}')).to.deep.equal({member: box, vagrant: true})
    })

    it('refuses a box without its disk, and duplicates', () => {
      expect(chooseDisk([metadata], '{"provider":"libvirt"}')).to.deep.equal({problem: 'it is a Vagrant libvirt box without its disk "box.img"'})
      expect(chooseDisk([metadata, file('box.img'), file('./box.img')], '{}')).to.deep.equal({
        problem: 'the archive holds "box.img" 2 times, and the copies could differ',
      })
      expect(chooseDisk([metadata, file('metadata.json')], '{}')).to.deep.equal({
        problem: 'the archive holds "metadata.json" 2 times, and the copies could differ',
      })
    })

    it('says so when metadata.json was too large to read', () => {
      expect(chooseDisk([metadata, file('box.img')], undefined)).to.deep.equal({problem: 'its metadata.json is too large to be Vagrant metadata'})
    })

    it('a metadata.json below the top does not make a Vagrant box', () => {
      const disk = file('disk.raw')
      expect(chooseDisk([file('docs/metadata.json'), disk], undefined)).to.deep.equal({member: disk, vagrant: false})
    })
  })
})

describe('box/unpack checkVagrantMetadata', () => {
  it('accepts libvirt boxes, with or without provider and format', () => {
    expect(checkVagrantMetadata('{"provider":"libvirt","format":"qcow2","virtual_size":40}')).to.deep.equal({disk: 'box.img'})
    expect(checkVagrantMetadata('{}')).to.deep.equal({disk: 'box.img'})
  })

  it('refuses other providers and formats, naming them', () => {
    expect(checkVagrantMetadata('{"provider":"virtualbox"}')).to.deep.equal({
      problem: 'it is a Vagrant box for the "virtualbox" provider; vm boots only libvirt boxes (qcow2)',
    })
    expect(checkVagrantMetadata('{"provider":"libvirt","format":"raw"}')).to.deep.equal({
      problem: 'it is a Vagrant libvirt box whose metadata.json says format "raw"; vm needs qcow2',
    })
  })

  it('reads the disks list of newer vagrant-libvirt boxes: one disk only', () => {
    expect(checkVagrantMetadata('{"provider":"libvirt","disks":[{"path":"box_1.img","format":"qcow2"}]}')).to.deep.equal({disk: 'box_1.img'})
    expect(checkVagrantMetadata('{"disks":[{}]}')).to.deep.equal({disk: 'box.img'})
    expect(checkVagrantMetadata('{"disks":[{"path":"a.img"},{"path":"b.img"}]}')).to.deep.equal({problem: 'it is a Vagrant box with 2 disks; vm uses boxes with one disk'})
    expect(checkVagrantMetadata('{"disks":[]}')).to.deep.equal({problem: 'it is a Vagrant box whose metadata.json lists no disks'})
    expect(checkVagrantMetadata('{"disks":[{"path":"a.vmdk","format":"vmdk"}]}')).to.deep.equal({
      problem: 'it is a Vagrant box whose disk "a.vmdk" has format "vmdk"; vm needs qcow2',
    })
  })

  it('refuses metadata that is not a JSON object', () => {
    expect(checkVagrantMetadata('{provider: libvirt}')).to.deep.equal({problem: 'it is a Vagrant box whose metadata.json is not valid JSON'})
    expect(checkVagrantMetadata('[]')).to.deep.equal({problem: 'it is a Vagrant box whose metadata.json is not a JSON object'})
  })
})
