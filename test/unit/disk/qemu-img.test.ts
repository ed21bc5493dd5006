import {expect} from 'chai'

import {
  convertRawToQcow2Args,
  infoArgs,
  limitedCheckArgs,
  limitedInfoArgs,
  parseImageCheck,
  parseImageInfo,
} from '../../../src/disk/qemu-img.js'
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

    it('reads an encrypted qcow2 as encrypted', () => {
      expect(parseImageInfo(fixture('encrypted.txt'))).to.deep.equal({format: 'qcow2', virtualSize: 16777216, encrypted: true})
    })

    it("reads qcow2's corrupt bit, and leaves it out when false", () => {
      const info = JSON.parse(fixture('plain-qcow2.txt')) as {'format-specific': {data: {corrupt: boolean}}}
      info['format-specific'].data.corrupt = true
      expect(parseImageInfo(JSON.stringify(info))).to.deep.equal({format: 'qcow2', virtualSize: 1073741824, corrupt: true})
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

  describe('limitedInfoArgs and limitedCheckArgs', () => {
    it('run qemu-img under prlimit (1 GiB of address space, 30 s of CPU) with the format named', () => {
      expect(limitedInfoArgs('/cache/tmp/x.work/layer-1', 'raw')).to.deep.equal([
        '--as=1073741824',
        '--cpu=30',
        '--',
        'qemu-img',
        'info',
        '-f',
        'raw',
        '--output=json',
        '--force-share',
        '/cache/tmp/x.work/layer-1',
      ])
      expect(limitedCheckArgs('/cache/x.qcow2')).to.deep.equal([
        '--as=1073741824',
        '--cpu=30',
        '--',
        'qemu-img',
        'check',
        '-f',
        'qcow2',
        '--output=json',
        '--force-share',
        '/cache/x.qcow2',
      ])
    })

    it('refuse a relative path, which qemu-img could read as an option or a protocol (json:, nbd:)', () => {
      expect(() => limitedInfoArgs('json:{"file":{"driver":"file","filename":"/etc/shadow"}}', 'qcow2')).to.throw('absolute path')
      expect(() => limitedCheckArgs('-U')).to.throw('absolute path')
    })
  })

  describe('convertRawToQcow2Args', () => {
    it('names both formats, so QEMU probes nothing', () => {
      expect(convertRawToQcow2Args('/w/layer-1', '/w/image.qcow2')).to.deep.equal(['convert', '-f', 'raw', '-O', 'qcow2', '/w/layer-1', '/w/image.qcow2'])
      expect(() => convertRawToQcow2Args('layer-1', '/w/image.qcow2')).to.throw('absolute path')
    })
  })

  describe('parseImageCheck', () => {
    it('reads a clean check as no corruptions, leaks or errors', () => {
      expect(parseImageCheck(fixture('check-clean.txt'))).to.deep.equal({corruptions: 0, leaks: 0, checkErrors: 0})
    })

    it('reads the corruptions of a truncated qcow2', () => {
      expect(parseImageCheck(fixture('check-truncated.txt'))).to.deep.equal({corruptions: 3, leaks: 0, checkErrors: 0})
    })

    it('refuses output without a format or with a non-numeric counter', () => {
      expect(() => parseImageCheck('{"corruptions": 0}')).to.throw('qemu-img check printed no format')
      expect(() => parseImageCheck('{"format": "qcow2", "leaks": "1"}')).to.throw('non-numeric leaks')
    })
  })
})
