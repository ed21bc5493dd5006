import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type IsoFile, type IsoSpec, renderIso9660} from '../../../src/cloudinit/iso9660.js'

/*
 * Our images are read back with readers that share no code with the writer: isoinfo (cdrkit, from
 * the genisoimage package), xorriso (libisofs) and blkid (util-linux). A small byte-level check of
 * our own covers what those readers skip (the big-endian halves, the type M path tables).
 */
const PACKAGES = 'genisoimage xorriso util-linux'

const MODIFIED = new Date('2024-05-06T07:08:09.120Z')
const encoder = new TextEncoder()

/** A pattern that differs from sector to sector, so a reader that fetched the wrong one would notice. */
function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({length}, (_, i) => (i * 7 + Math.floor(i / 2048) * 13 + seed) % 251)
}

const FILES: readonly IsoFile[] = [
  {name: 'user-data', data: '#cloud-config\nhostname: ünï-côdé\n'},
  {name: 'meta-data', data: 'instance-id: iid-0123\nlocal-hostname: box\n'},
  {name: 'network-config', data: ''},
  {name: 'multi-sector.bin', data: pattern(5000, 1)},
  {name: 'one-sector.bin', data: pattern(2048, 2)},
]
const SPEC: IsoSpec = {volumeId: 'cidata', files: FILES, modified: MODIFIED}

function bytesOf(file: IsoFile): Uint8Array {
  return typeof file.data === 'string' ? encoder.encode(file.data) : file.data
}

type Run = {stdout: Buffer; stderr: string}

function run(command: string, args: readonly string[]): Run {
  const result = spawnSync(command, args, {maxBuffer: 64 * 1024 * 1024})
  if (result.error) throw new Error(`Cannot run ${command} (${result.error.message}); these tests need: apt-get install ${PACKAGES}`)
  const stderr = result.stderr.toString()
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${stderr}`)
  return {stdout: result.stdout, stderr}
}

type Listed = {mode: string; links: number; uid: number; gid: number; size: number; date: string; name: string}

/** Parses `isoinfo -l` ("ls -lR"-like) output: one line per directory record. */
function isoinfoListing(iso: string, extension: '-R' | '-J' | 'plain'): Listed[] {
  const args = extension === 'plain' ? ['-l', '-i', iso] : [extension, '-l', '-i', iso]
  const lines = run('isoinfo', args).stdout.toString('utf8').split('\n')
  const entries: Listed[] = []
  for (const line of lines) {
    const match = /^([-d][-rwx]{9})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\w{3}\s+\d+\s+\d{4})\s+\[\s*\d+\s+[0-9A-F]{2}\]\s\s(.*) $/.exec(line)
    if (!match) continue
    const [, mode, links, uid, gid, size, date, name] = match
    entries.push({mode: mode!, links: Number(links), uid: Number(uid), gid: Number(gid), size: Number(size), date: date!, name: name!})
  }
  return entries
}

function namesAndSizes(entries: readonly Listed[]): string[] {
  return entries.map((entry) => `${entry.name} ${entry.size}`)
}

/**
 * Runs xorriso so that any message of WARNING or worse both shows up and makes it exit non-zero,
 * and returns its result text (stdout) lines.
 */
function xorriso(args: readonly string[]): string[] {
  const {stdout, stderr} = run('xorriso', ['-return_with', 'WARNING', '32', '-report_about', 'WARNING', ...args])
  const complaints = stderr.split('\n').filter((line) => /WARNING|SORRY|FAILURE|FATAL|MISHAP|ABORT/.test(line))
  expect(complaints, 'xorriso complaints').to.deep.equal([])
  return stdout.toString('utf8').split('\n').filter((line) => line !== '')
}

function isoinfoExtract(iso: string, extension: '-R' | '-J' | 'plain', path: string): Buffer {
  const args = extension === 'plain' ? ['-i', iso, '-x', path] : [extension, '-i', iso, '-x', path]
  return run('isoinfo', args).stdout
}

function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length)
  expect(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: bytes`).to.equal(true)
}

describe('cloudinit/iso9660', () => {
  let dir: string
  let image: Uint8Array
  let iso: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vm-iso9660-test-'))
    image = renderIso9660(SPEC)
    iso = join(dir, 'seed.iso')
    writeFileSync(iso, image)
  })

  after(() => {
    rmSync(dir, {recursive: true, force: true})
  })

  describe('read back by isoinfo', () => {
    it('finds an ISO 9660 volume labelled as given, with Joliet level 3 and Rock Ridge', () => {
      const lines = run('isoinfo', ['-d', '-i', iso]).stdout.toString().split('\n')
      expect(lines).to.include.members([
        'CD-ROM is in ISO 9660 format',
        'Volume id: cidata',
        'Volume set size is: 1',
        'Volume set sequence number is: 1',
        'Logical block size is: 2048',
        `Volume size is: ${image.length / 2048}`,
        'Joliet with UCS level 3 found',
        'Rock Ridge signatures version 1 found',
      ])
      // 16 system sectors, 3 descriptors, 4 path tables, 2 root folders, 1 continuation area,
      // 1 block for empty files, then 1 + 3 + 1 + 1 sectors of data (meta-data, multi-sector.bin,
      // one-sector.bin, user-data).
      expect(image.length).to.equal(33 * 2048)
    })

    it('reads the dates and path tables from the primary volume descriptor', () => {
      const lines = run('isoinfo', ['-d', '-debug', '-i', iso]).stdout.toString().split('\n')
      expect(lines).to.include.members([
        'Root directory extent:  23 size: 2048',
        'Path table size is:     10',
        'L Path table start:     19',
        'M Path table start:     20',
        'Creation Date:     2024 05 06 07:08:09.12',
        'Modification Date: 2024 05 06 07:08:09.12',
        'Expiration Date:   0000 00 00 00:00:00.00',
        'Effective Date:    2024 05 06 07:08:09.12',
        'File structure version: 1',
      ])
      // The root's path table entry: number 1, parent 1, extent in hex (23 and, for Joliet, 24).
      expect(run('isoinfo', ['-p', '-i', iso]).stdout.toString()).to.equal('Path table starts at block 19, size 10\n   1:    1 17 \n')
      expect(run('isoinfo', ['-J', '-p', '-i', iso]).stdout.toString()).to.equal('Path table starts at block 21, size 10\n   1:    1 18 \n')
    })

    it('lists the Rock Ridge names, modes, owners and sizes', () => {
      expect(isoinfoListing(iso, '-R')).to.deep.equal([
        {mode: 'dr-xr-xr-x', links: 2, uid: 0, gid: 0, size: 2048, date: 'May  6 2024', name: '.'},
        {mode: 'dr-xr-xr-x', links: 2, uid: 0, gid: 0, size: 2048, date: 'May  6 2024', name: '..'},
        {mode: '-r--r--r--', links: 1, uid: 0, gid: 0, size: 42, date: 'May  6 2024', name: 'meta-data'},
        {mode: '-r--r--r--', links: 1, uid: 0, gid: 0, size: 5000, date: 'May  6 2024', name: 'multi-sector.bin'},
        {mode: '-r--r--r--', links: 1, uid: 0, gid: 0, size: 0, date: 'May  6 2024', name: 'network-config'},
        {mode: '-r--r--r--', links: 1, uid: 0, gid: 0, size: 2048, date: 'May  6 2024', name: 'one-sector.bin'},
        {mode: '-r--r--r--', links: 1, uid: 0, gid: 0, size: 37, date: 'May  6 2024', name: 'user-data'},
      ])
    })

    it('lists the Joliet names and sizes', () => {
      expect(namesAndSizes(isoinfoListing(iso, '-J'))).to.deep.equal([
        '. 2048',
        '.. 2048',
        'meta-data 42',
        'multi-sector.bin 5000',
        'network-config 0',
        'one-sector.bin 2048',
        'user-data 37',
      ])
    })

    it('lists unique level 1 names (8.3, upper case, version 1) in ECMA-119 9.3 order', () => {
      expect(namesAndSizes(isoinfoListing(iso, 'plain'))).to.deep.equal([
        '. 2048',
        '.. 2048',
        'META_DAT.;1 42',
        'MULTI_SE.BIN;1 5000',
        'NETWORK_.;1 0',
        'ONE_SECT.BIN;1 2048',
        'USER_DAT.;1 37',
      ])
    })

    it('extracts every file byte for byte under its Rock Ridge, Joliet and level 1 name', () => {
      const plainNames = ['USER_DAT.;1', 'META_DAT.;1', 'NETWORK_.;1', 'MULTI_SE.BIN;1', 'ONE_SECT.BIN;1']
      FILES.forEach((file, i) => {
        const expected = bytesOf(file)
        expectSameBytes(isoinfoExtract(iso, '-R', `/${file.name}`), expected, `isoinfo -R -x /${file.name}`)
        expectSameBytes(isoinfoExtract(iso, '-J', `/${file.name}`), expected, `isoinfo -J -x /${file.name}`)
        expectSameBytes(isoinfoExtract(iso, 'plain', `/${plainNames[i]}`), expected, `isoinfo -x /${plainNames[i]}`)
      })
    })
  })

  describe('read back by xorriso', () => {
    it('loads the Rock Ridge tree without warnings', () => {
      expect(xorriso(['-indev', iso, '-find', '/', '-exec', 'lsdl', '--'])).to.deep.equal([
        "dr-xr-xr-x    1 0        0               0 May  6  2024 '/'",
        "-r--r--r--    1 0        0              42 May  6  2024 '/meta-data'",
        "-r--r--r--    1 0        0            5000 May  6  2024 '/multi-sector.bin'",
        "-r--r--r--    1 0        0               0 May  6  2024 '/network-config'",
        "-r--r--r--    1 0        0            2048 May  6  2024 '/one-sector.bin'",
        "-r--r--r--    1 0        0              37 May  6  2024 '/user-data'",
      ])
    })

    it('loads the Joliet tree without warnings when told to ignore Rock Ridge', () => {
      expect(xorriso(['-read_fs', 'norock', '-indev', iso, '-ls', '/'])).to.deep.equal([
        "'meta-data'",
        "'multi-sector.bin'",
        "'network-config'",
        "'one-sector.bin'",
        "'user-data'",
      ])
    })

    it('extracts the files with their contents, modes and modification time', () => {
      const out = join(dir, 'xorriso-extract')
      xorriso(['-osirrox', 'on', '-indev', iso, '-extract', '/', out])
      for (const file of FILES) {
        const path = join(out, file.name)
        expectSameBytes(readFileSync(path), bytesOf(file), `xorriso -extract ${file.name}`)
        const stat = statSync(path)
        expect(stat.mode & 0o7777, `${file.name} mode`).to.equal(0o444)
        expect(stat.mtime.toISOString(), `${file.name} mtime`).to.equal('2024-05-06T07:08:09.000Z')
      }
    })
  })

  describe('read back by blkid', () => {
    it('probes an iso9660 file system labelled cidata', () => {
      const lines = run('blkid', ['-p', '-o', 'export', iso]).stdout.toString().split('\n')
      // blkid's UUID for ISO 9660 is the modification date from the primary descriptor.
      expect(lines).to.include.members(['TYPE=iso9660', 'LABEL=cidata', 'UUID=2024-05-06-07-08-09-12', 'BLOCK_SIZE=2048'])
    })
  })

  describe('structure', () => {
    it('records every both-endian number twice with the same value, and mirrors the L path tables in M', () => {
      checkStructure(image)
    })

    it('opens the root with SUSP SP and continues it to an ER entry declaring RRIP_1991A', () => {
      const hex = (from: number, length: number) => Buffer.from(image.subarray(from, from + length)).toString('hex')
      // The root's `.` record (sector 23): 33 fixed bytes and a one-byte identifier, then System Use,
      // which must open with SP (signature, length 7, version 1, check bytes BE EF, skip 0).
      expect(hex(23 * 2048 + 34, 7)).to.equal('53500701beef00')
      // Then PX (36 bytes) and TF (26), and CE: block 25, offset 0, 237 bytes, each both-endian.
      // 34 + 7 + 36 + 26 + 28 = 131 bytes, padded to an even record length.
      expect(image[23 * 2048]).to.equal(132)
      expect(hex(23 * 2048 + 34 + 7 + 36 + 26, 28)).to.equal('43451c01' + '1900000000000019' + '0000000000000000' + 'ed000000000000ed')
      // Sector 25 holds ER: length 237, version 1, id/descriptor/source lengths 10/84/135, extension version 1.
      expect(hex(25 * 2048, 18)).to.equal('4552ed010a548701' + Buffer.from('RRIP_1991A').toString('hex'))
    })
  })

  describe('more than fits in one record or one sector', () => {
    const many: IsoFile[] = [
      ...Array.from({length: 40}, (_, i) => ({name: `vendor-data-file-number-${i}.yaml`, data: `file ${i}\n`})),
      {name: 'é'.repeat(64), data: 'latin'},
      {name: '日本'.repeat(32), data: 'cjk'},
      {name: 'x'.repeat(64), data: 'long'},
    ]
    const label = 'A_32_character_volume_identifier'
    let manyIso: string

    before(() => {
      manyIso = join(dir, 'many.iso')
      writeFileSync(manyIso, renderIso9660({volumeId: label, files: many, modified: MODIFIED}))
    })

    it('spreads the root folder over several sectors and keeps every name', () => {
      const rock = isoinfoListing(manyIso, '-R')
      expect(rock[0]).to.include({name: '.', size: 4 * 2048})
      expect(rock.map((entry) => entry.name).slice(2).sort()).to.deep.equal(many.map((file) => file.name).sort())
      const joliet = xorriso(['-read_fs', 'norock', '-indev', manyIso, '-ls', '/'])
      expect(joliet).to.deep.equal(many.map((file) => `'${file.name}'`).sort())
      const plain = isoinfoListing(manyIso, 'plain').map((entry) => entry.name)
      expect(new Set(plain).size).to.equal(plain.length)
      expect(plain.slice(-4)).to.deep.equal(['VENDOR_D.YAM;1', 'XXXXXXXX.;1', '_______1.;1', '________.;1'])
    })

    it('moves long UTF-8 Rock Ridge names to the continuation area and still extracts by them', () => {
      for (const file of many.slice(-3)) {
        expectSameBytes(isoinfoExtract(manyIso, '-R', `/${file.name}`), bytesOf(file), `isoinfo -R -x ${file.name}`)
      }
      const rock = xorriso(['-indev', manyIso, '-ls', '/'])
      expect(rock).to.deep.equal(many.map((file) => `'${file.name}'`).sort())
    })

    it('reports the whole 32-character label although Joliet holds only 16 characters of it', () => {
      expect(run('isoinfo', ['-d', '-i', manyIso]).stdout.toString()).to.include(`Volume id: ${label}\n`)
      expect(run('blkid', ['-p', '-o', 'export', manyIso]).stdout.toString()).to.include(`LABEL=${label}\n`)
    })
  })

  describe('compared with genisoimage', () => {
    it('gives the same label, names and sizes as genisoimage -volid cidata -joliet -rock', () => {
      const source = join(dir, 'genisoimage-source')
      mkdirSync(source)
      for (const file of FILES) writeFileSync(join(source, file.name), bytesOf(file))
      const reference = join(dir, 'genisoimage.iso')
      run('genisoimage', ['-quiet', '-output', reference, '-volid', 'cidata', '-joliet', '-rock', source])

      const label = (path: string) => run('isoinfo', ['-d', '-i', path]).stdout.toString().split('\n').find((line) => line.startsWith('Volume id:'))
      expect(label(iso)).to.equal(label(reference)).and.equal('Volume id: cidata')
      for (const extension of ['-R', '-J', 'plain'] as const) {
        expect(namesAndSizes(isoinfoListing(iso, extension)), extension).to.deep.equal(namesAndSizes(isoinfoListing(reference, extension)))
      }
      const probe = (path: string) =>
        run('blkid', ['-p', '-o', 'export', path]).stdout.toString().split('\n').filter((line) => /^(TYPE|LABEL)=/.test(line))
      expect(probe(iso)).to.deep.equal(probe(reference)).and.deep.equal(['LABEL=cidata', 'TYPE=iso9660'])
    })
  })

  describe('determinism', () => {
    it('renders the same bytes for the same spec, whatever the order of the files', () => {
      const again = renderIso9660({...SPEC, files: [...FILES]})
      const reversed = renderIso9660({...SPEC, files: [...FILES].reverse()})
      expect(Buffer.from(again).equals(Buffer.from(image))).to.equal(true)
      expect(Buffer.from(reversed).equals(Buffer.from(image))).to.equal(true)
    })

    it('takes its dates from the spec only', () => {
      const later = renderIso9660({...SPEC, modified: new Date('2024-05-06T07:08:10.120Z')})
      expect(later.length).to.equal(image.length)
      expect(Buffer.from(later).equals(Buffer.from(image))).to.equal(false)
    })
  })

  describe('input validation', () => {
    const valid = (override: Partial<IsoSpec>): IsoSpec => ({...SPEC, ...override})
    const named = (name: string): IsoSpec => valid({files: [{name, data: 'x'}]})

    it('refuses volume ids that are too long, empty or outside the d-characters', () => {
      expect(() => renderIso9660(valid({volumeId: 'a'.repeat(33)}))).to.throw(Error, `The ISO volume id "${'a'.repeat(33)}" is longer than 32 characters.`)
      expect(() => renderIso9660(valid({volumeId: ''}))).to.throw(Error, 'The ISO volume id is empty.')
      for (const volumeId of ['ci-data', 'ci data', 'cïdata', 'ci.data']) {
        expect(() => renderIso9660(valid({volumeId})), volumeId).to.throw(
          Error,
          `The ISO volume id "${volumeId}" may only hold letters A-Z, digits and "_" (ISO 9660 d-characters).`,
        )
      }
      expect(() => renderIso9660(valid({volumeId: 'A'.repeat(32)}))).not.to.throw()
    })

    it('refuses file names that are empty, nested, hold NUL or Joliet-forbidden characters, or are too long', () => {
      expect(() => renderIso9660(named(''))).to.throw(Error, 'An ISO file name is empty.')
      expect(() => renderIso9660(named('a/b'))).to.throw(Error, 'The ISO file name "a/b" contains "/"; only files in the root folder are supported.')
      expect(() => renderIso9660(named('a\0b'))).to.throw(Error, 'The ISO file name "a\\u0000b" contains a NUL character.')
      expect(() => renderIso9660(named('.'))).to.throw(Error, '"." cannot be an ISO file name.')
      expect(() => renderIso9660(named('..'))).to.throw(Error, '".." cannot be an ISO file name.')
      expect(() => renderIso9660(named('y'.repeat(65)))).to.throw(Error, `The ISO file name "${'y'.repeat(65)}" is longer than 64 characters (the Joliet limit).`)
      for (const name of ['a:b', 'a;1', 'a*', 'a?', 'a\\b', 'tab\there']) {
        expect(() => renderIso9660(named(name)), name).to.throw(Error, 'holds a character Joliet forbids')
      }
      expect(() => renderIso9660(named('lone\ud800'))).to.throw(Error, 'is not valid Unicode')
      expect(() => renderIso9660(named('y'.repeat(64)))).not.to.throw()
    })

    it('refuses a file name given twice', () => {
      const files = [{name: 'user-data', data: 'a'}, {name: 'meta-data', data: 'b'}, {name: 'user-data', data: 'c'}]
      expect(() => renderIso9660(valid({files}))).to.throw(Error, 'The ISO file name "user-data" is given more than once.')
    })

    it('refuses a file of 4 GiB or more', () => {
      // Allocating 4 GiB in a unit test is not worth it: only the length is consulted before the check.
      const huge = new Uint8Array(0)
      Object.defineProperty(huge, 'length', {value: 2 ** 32})
      expect(() => renderIso9660(valid({files: [{name: 'huge', data: huge}]}))).to.throw(
        Error,
        'The ISO file "huge" is 4294967296 bytes; ISO 9660 holds at most 4294967295 bytes (4 GiB - 1) per file.',
      )
    })

    it('refuses an invalid date or one ISO 9660 cannot record', () => {
      expect(() => renderIso9660(valid({modified: new Date(Number.NaN)}))).to.throw(Error, 'The ISO modification time is not a valid date.')
      expect(() => renderIso9660(valid({modified: new Date('1899-12-31T23:59:59Z')}))).to.throw(Error, 'outside the years 1900-2155')
      expect(() => renderIso9660(valid({modified: new Date('2156-01-01T00:00:00Z')}))).to.throw(Error, 'outside the years 1900-2155')
    })
  })
})

/**
 * Byte-level checks that isoinfo, xorriso and blkid do not make: they read only one half of each
 * both-endian field (7.2.3, 7.3.3) and ignore the type M path tables.
 */
function checkStructure(image: Uint8Array): void {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength)
  const both16 = (offset: number, what: string) => {
    expect(view.getUint16(offset + 2, false), what).to.equal(view.getUint16(offset, true))
    return view.getUint16(offset, true)
  }
  const both32 = (offset: number, what: string) => {
    expect(view.getUint32(offset + 4, false), what).to.equal(view.getUint32(offset, true))
    return view.getUint32(offset, true)
  }
  const sectors = image.length / 2048
  expect(image.subarray(0, 16 * 2048).every((byte) => byte === 0), 'system area').to.equal(true)
  expect(Array.from(image.subarray(18 * 2048, 18 * 2048 + 7))).to.deep.equal([255, 0x43, 0x44, 0x30, 0x30, 0x31, 1])

  for (const descriptor of [16, 17]) {
    const base = descriptor * 2048
    expect(both32(base + 80, 'volume space size')).to.equal(sectors)
    both16(base + 120, 'volume set size')
    both16(base + 124, 'volume sequence number')
    expect(both16(base + 128, 'logical block size')).to.equal(2048)
    const pathTableSize = both32(base + 132, 'path table size')
    const l = view.getUint32(base + 140, true)
    const m = view.getUint32(base + 148, false)
    for (let i = 0; i < pathTableSize; i += 10) {
      const lEntry = l * 2048 + i
      const mEntry = m * 2048 + i
      expect(view.getUint32(mEntry + 2, false), 'path table extent').to.equal(view.getUint32(lEntry + 2, true))
      expect(view.getUint16(mEntry + 6, false), 'path table parent').to.equal(view.getUint16(lEntry + 6, true))
    }
    // Walk the root folder this descriptor names: no record crosses a sector, every extent is inside the volume.
    const rootExtent = both32(base + 156 + 2, 'root extent')
    const rootSize = both32(base + 156 + 10, 'root size')
    expect(view.getUint32(l * 2048 + 2, true), 'path table names the root').to.equal(rootExtent)
    for (let sector = rootExtent; sector < rootExtent + rootSize / 2048; sector++) {
      let offset = sector * 2048
      while (offset < (sector + 1) * 2048 && image[offset] !== 0) {
        const length = image[offset]!
        expect(length % 2, 'record length is even').to.equal(0)
        expect(offset + length, 'record stays in its sector').to.be.at.most((sector + 1) * 2048)
        const extent = both32(offset + 2, 'record extent')
        const size = both32(offset + 10, 'record size')
        both16(offset + 28, 'record volume sequence number')
        expect(extent + Math.ceil(size / 2048), 'extent inside the volume').to.be.at.most(sectors)
        offset += length
      }
    }
  }
}
