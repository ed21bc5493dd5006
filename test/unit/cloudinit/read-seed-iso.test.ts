import {expect} from 'chai'

import {renderIso9660} from '../../../src/cloudinit/iso9660.js'
import {parseSeedIso} from '../../../src/cloudinit/read-seed-iso.js'
import {renderSeedFiles, renderSeedIso, type SeedSpec} from '../../../src/cloudinit/seed.js'
import {VmError} from '../../../src/errors.js'
import {TYPICAL} from './specs.js'

const MODIFIED = new Date('2026-11-27T21:00:00Z')
const SPEC: SeedSpec = {
  ...TYPICAL,
  instanceId: '6f1c2a3e-1111-4222-8333-944455566677',
  networkConfig: 'version: 2\nethernets: {}\n',
  userConfig: {packages: ['git'], write_files: [{path: '/etc/motd', content: 'ünïcödé\n'}]},
  mounts: [{tag: 'f0', guestPath: '/vagrant', fsType: 'virtiofs'}],
}

/** Offsets in images renderIso9660 makes (see its render.ts layout). */
const SECTOR = 2048
const le32 = (bytes: Uint8Array, offset: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true)
const rootExtent = (image: Uint8Array) => le32(image, 16 * SECTOR + 156 + 2)

/** The offset of each record in the primary root folder, by its ISO identifier. */
function records(image: Uint8Array): Map<string, number> {
  const result = new Map<string, number>()
  let offset = rootExtent(image) * SECTOR
  while (image[offset]! > 0) {
    const id = String.fromCharCode(...image.subarray(offset + 33, offset + 33 + image[offset + 32]!))
    result.set(id, offset)
    offset += image[offset]!
  }
  return result
}

function refused(image: Uint8Array, reason: string): void {
  let error: unknown
  try {
    parseSeedIso(image)
  } catch (caught) {
    error = caught
  }
  expect(error).to.be.instanceOf(VmError)
  expect((error as VmError).code).to.equal('SEED_UNREADABLE')
  expect((error as VmError).message).to.equal(`Cannot read the seed ISO: ${reason}.`)
}

describe('cloudinit/read-seed-iso', () => {
  it('reads back exactly the files renderSeedIso wrote', () => {
    const files = parseSeedIso(renderSeedIso(SPEC, MODIFIED))
    expect([...files].sort()).to.deep.equal([...renderSeedFiles(SPEC)].sort())
    expect(files.get('user-data')).to.contain('ünïcödé')
  })

  it('reads long names (Rock Ridge entries in the continuation area), empty files and multi-sector files', () => {
    // 64 characters of 3 bytes each in UTF-8: too long for the record, so NM moves to the continuation area.
    const long = '名'.repeat(64)
    const big = 'x'.repeat(5000)
    const image = renderIso9660({volumeId: 'cidata', modified: MODIFIED, files: [{name: long, data: 'a'}, {name: 'empty', data: ''}, {name: 'big.txt', data: big}]})
    expect(Object.fromEntries(parseSeedIso(image))).to.deep.equal({[long]: 'a', empty: '', 'big.txt': big})
  })

  it('falls back to the lower-cased ISO name without a Rock Ridge name', () => {
    const image = renderSeedIso(SPEC, MODIFIED)
    for (const offset of records(image).values()) {
      // Rename every NM entry of the root's records, so no reader sees one.
      const record = image.subarray(offset, offset + image[offset]!)
      for (let i = 33; i + 1 < record.length; i++) if (record[i] === 0x4e && record[i + 1] === 0x4d && record[i + 3] === 1) record[i] = 0x58
    }
    expect([...parseSeedIso(image).keys()].sort()).to.deep.equal(['meta_dat', 'network_', 'user_dat'])
    expect(parseSeedIso(image).get('user_dat')).to.equal(renderSeedFiles(SPEC).get('user-data'))
  })

  describe('refuses malformed images instead of reading out of bounds', () => {
    const good = () => renderSeedIso(SPEC, MODIFIED)

    it('too short for a volume descriptor', () => {
      refused(good().subarray(0, 16 * SECTOR + 100), 'the primary volume descriptor lies outside the image')
      refused(new Uint8Array(0), 'the primary volume descriptor lies outside the image')
    })

    it('not ISO 9660', () => {
      refused(new Uint8Array(20 * SECTOR), 'there is no ISO 9660 primary volume descriptor at sector 16')
    })

    it('another block size', () => {
      const image = good()
      image[16 * SECTOR + 128 + 1] = 0x10 // 4096 in the little-endian half
      refused(image, 'its logical block size is 4096 bytes, not 2048')
    })

    it('truncated', () => {
      const image = good()
      refused(image.subarray(0, image.length - SECTOR), `it is truncated: ${image.length - SECTOR} bytes of the ${image.length} its descriptor records`)
    })

    it('a root folder outside the image', () => {
      const image = good()
      new DataView(image.buffer).setUint32(16 * SECTOR + 156 + 2, 0xfffff, true)
      refused(image, 'the root folder lies outside the image')
    })

    it('a record that runs past its sector, or is too short', () => {
      const image = good()
      const offset = records(image).get('USER_DAT.;1')!
      const original = image[offset]!
      image[offset] = 20
      refused(image, 'a folder record has an impossible length')
      image[offset] = original
      image[offset + 32] = 200 // identifier longer than the record
      refused(image, 'a folder record is shorter than its name')
    })

    it("a file's data outside the image", () => {
      const image = good()
      new DataView(image.buffer).setUint32(records(image).get('USER_DAT.;1')! + 10, 10_000_000, true)
      refused(image, 'the file "user-data" lies outside the image')
    })

    it('a Rock Ridge entry longer than its record', () => {
      const image = good()
      const offset = records(image).get('META_DAT.;1')!
      const record = image.subarray(offset, offset + image[offset]!)
      // The PX entry follows the identifier (11 bytes, odd: no padding byte).
      expect(String.fromCharCode(record[44]!, record[45]!)).to.equal('PX')
      record[46] = 250
      refused(image, 'a Rock Ridge entry has an impossible length')
      record[46] = 2
      refused(image, 'a Rock Ridge entry has an impossible length')
    })

    it('a continuation area outside the image', () => {
      const long = '名'.repeat(64)
      const image = renderIso9660({volumeId: 'cidata', modified: MODIFIED, files: [{name: long, data: 'a'}]})
      const offset = [...records(image).values()][2]!
      const record = image.subarray(offset, offset + image[offset]!)
      let ce = -1
      for (let i = 33; i + 1 < record.length; i++) if (record[i] === 0x43 && record[i + 1] === 0x45 && record[i + 2] === 28) ce = i
      expect(ce).to.be.greaterThan(0)
      new DataView(image.buffer).setUint32(offset + ce + 4, 0xffffff, true)
      refused(image, 'a Rock Ridge continuation area lies outside the image')
    })

    it('text that is not UTF-8', () => {
      const image = renderIso9660({volumeId: 'cidata', modified: MODIFIED, files: [{name: 'user-data', data: Uint8Array.of(0xff, 0xfe)}]})
      refused(image, 'the file "user-data" is not UTF-8 text')
    })

    it('a file in several extents', () => {
      const image = good()
      image[records(image).get('USER_DAT.;1')! + 25] = 0x80
      refused(image, 'a file is recorded in several extents')
    })

    it('any corruption of the descriptor, folder or continuation sectors: a result or SEED_UNREADABLE, never another error', () => {
      const original = renderIso9660({volumeId: 'cidata', modified: MODIFIED, files: [...renderSeedFiles(SPEC)].map(([name, data]) => ({name, data})).concat([{name: '名'.repeat(64), data: 'a'}])})
      let seed = 12345
      const random = (below: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        return seed % below
      }
      for (let round = 0; round < 3000; round++) {
        const image = original.slice()
        for (let flips = 1 + random(4); flips > 0; flips--) image[16 * SECTOR + random(12 * SECTOR)] = random(256)
        try {
          parseSeedIso(image)
        } catch (error) {
          expect((error as VmError).code, String(error)).to.equal('SEED_UNREADABLE')
        }
      }
    })
  })
})
