import {expect} from 'chai'

import {imageCheckProblem, imageInfoProblem, MIN_RAW_BYTES} from '../../../../src/box/unpack/image-check.js'
import {renderSourceFormat} from '../../../../src/box/unpack/source-format.js'

describe('box/unpack image-check', () => {
  describe('imageInfoProblem', () => {
    const qcow2 = {format: 'qcow2', virtualSize: 1024 ** 3}

    it('accepts a plain qcow2 and a raw image of at least 1 MiB', () => {
      expect(imageInfoProblem(qcow2, 'qcow2')).to.equal(undefined)
      expect(imageInfoProblem({format: 'raw', virtualSize: MIN_RAW_BYTES}, 'raw')).to.equal(undefined)
    })

    it('names each reason to refuse', () => {
      expect(imageInfoProblem(qcow2, 'raw')).to.equal('qemu-img read it as qcow2, not raw')
      expect(imageInfoProblem({...qcow2, backingFile: 'base.qcow2'}, 'qcow2')).to.contain('backing file ("base.qcow2")')
      expect(imageInfoProblem({...qcow2, dataFile: '/dev/sda'}, 'qcow2')).to.contain('external data file ("/dev/sda")')
      expect(imageInfoProblem({...qcow2, encrypted: true}, 'qcow2')).to.equal('it is encrypted, and no guest can boot it without its key')
      expect(imageInfoProblem({...qcow2, corrupt: true}, 'qcow2')).to.equal('qemu-img reports its qcow2 metadata as corrupt')
      expect(imageInfoProblem({...qcow2, virtualSize: 0}, 'qcow2')).to.equal('its virtual size is 0')
      expect(imageInfoProblem({format: 'raw', virtualSize: 512}, 'raw')).to.match(/^it is only 512 bytes, too small to be a disk image/)
    })
  })

  it('imageCheckProblem refuses corruptions and check errors, not leaks', () => {
    expect(imageCheckProblem({corruptions: 0, leaks: 12, checkErrors: 0})).to.equal(undefined)
    expect(imageCheckProblem({corruptions: 1, leaks: 0, checkErrors: 0})).to.equal('qemu-img check finds 1 corruption in its qcow2 metadata')
    expect(imageCheckProblem({corruptions: 0, leaks: 0, checkErrors: 2})).to.equal('qemu-img check cannot read all of its qcow2 metadata (2 errors)')
  })

  it('renderSourceFormat names the source as people know it', () => {
    expect(renderSourceFormat(undefined, 'qcow2', [])).to.equal('qcow2')
    expect(renderSourceFormat(undefined, 'raw', ['xz'])).to.equal('raw.xz')
    expect(renderSourceFormat(undefined, 'qcow2', ['xz', 'gzip'])).to.equal('qcow2.gz.xz')
    expect(renderSourceFormat('tar.zst:disk.raw', 'raw', [])).to.equal('tar.zst:disk.raw')
    expect(renderSourceFormat('vagrant-box(tar.gz):box.img', 'qcow2', [])).to.equal('vagrant-box(tar.gz):box.img')
    expect(renderSourceFormat('tar:disk.img', 'raw', ['gzip'])).to.equal('tar:disk.img(raw.gz)')
  })
})
