import {expect} from 'chai'

import {infoArgs, parseImageInfo} from '../../../src/disk/qemu-img.js'
import {readCapture} from '../fixture.js'

/* Real `qemu-img info --output=json --force-share` output of QEMU 7.2 (fixtures/capture.sh). */
const fixture = (name: string) => readCapture(new URL(`fixtures/${name}`, import.meta.url))

describe('disk/qemu-img', () => {
  describe('infoArgs', () => {
    it('asks for JSON and shares the image with a running guest', () => {
      expect(infoArgs('/var/cache/vm/boxes/ab.qcow2')).to.deep.equal(['info', '--output=json', '--force-share', '/var/cache/vm/boxes/ab.qcow2'])
    })

    it('passes a path that looks like an option as one word', () => {
      expect(infoArgs('-f raw')).to.deep.equal(['info', '--output=json', '--force-share', '-f raw'])
    })
  })

  describe('parseImageInfo', () => {
    it('reads a plain qcow2: no backing file, no data file', () => {
      expect(parseImageInfo(fixture('plain-qcow2.txt'))).to.deep.equal({format: 'qcow2', virtualSize: 1073741824})
    })

    it("reads an overlay's backing file as its full path, not the relative name stored in it", () => {
      expect(parseImageInfo(fixture('overlay.txt'))).to.deep.equal({
        format: 'qcow2',
        virtualSize: 1073741824,
        backingFile: '/tmp/vm-fixtures/qemu-img/base.qcow2',
      })
    })

    it('falls back to backing-filename when qemu-img gives no full name', () => {
      const info = JSON.parse(fixture('overlay.txt')) as Record<string, unknown>
      delete info['full-backing-filename']
      expect(parseImageInfo(JSON.stringify(info)).backingFile).to.equal('base.qcow2')
    })

    it("reads a qcow2's external data file", () => {
      expect(parseImageInfo(fixture('data-file.txt'))).to.deep.equal({
        format: 'qcow2',
        virtualSize: 2147483648,
        dataFile: '/tmp/vm-fixtures/qemu-img/data.raw',
      })
    })

    it('reads a raw image (no format-specific part)', () => {
      expect(parseImageInfo(fixture('raw.txt'))).to.deep.equal({format: 'raw', virtualSize: 536870912})
    })

    it('refuses output without a format or a numeric virtual size', () => {
      expect(() => parseImageInfo('{"virtual-size": 1}')).to.throw('qemu-img info printed no format or virtual size')
      expect(() => parseImageInfo('{"format": "qcow2", "virtual-size": "1"}')).to.throw('qemu-img info printed no format or virtual size')
    })

    it('refuses text that is not JSON', () => {
      expect(() => parseImageInfo('image: x.qcow2\nfile format: qcow2\n')).to.throw(SyntaxError)
    })
  })
})
