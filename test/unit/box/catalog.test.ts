import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {CATALOG_DIR, findCatalogEntry, loadCatalog, parseCatalogEntry} from '../../../src/box/catalog.js'
import {VmError} from '../../../src/errors.js'
import {rejection} from './helpers.js'

const DEBIAN = 'https://cloud.debian.org/images/cloud'
const UBUNTU = 'https://cloud-images.ubuntu.com/releases'

function thrown(fn: () => unknown): VmError {
  try {
    fn()
  } catch (error) {
    if (error instanceof VmError) return error
    throw error
  }
  throw new Error('expected a VmError')
}

describe('box/catalog', () => {
  describe('the shipped catalog (boxes/)', () => {
    it('has exactly the four boxes, each with both architectures, the official URLs and checksum files', async () => {
      const catalog = await loadCatalog(CATALOG_DIR)
      const table = catalog.map((entry) => ({
        name: entry.name,
        osId: entry.osId,
        title: entry.title,
        x86_64: [entry.images.x86_64?.url, entry.images.x86_64?.checksum],
        aarch64: [entry.images.aarch64?.url, entry.images.aarch64?.checksum],
      }))
      const debian = (n: string, code: string, arch: string) => [
        `${DEBIAN}/${code}/latest/debian-${n}-genericcloud-${arch}.qcow2`,
        {checksumUrl: `${DEBIAN}/${code}/latest/SHA512SUMS`, algorithm: 'sha512'},
      ]
      const ubuntu = (v: string, arch: string) => [
        `${UBUNTU}/${v}/release/ubuntu-${v}-server-cloudimg-${arch}.img`,
        {checksumUrl: `${UBUNTU}/${v}/release/SHA256SUMS`, algorithm: 'sha256'},
      ]
      expect(table).to.deep.equal([
        {
          name: 'debian-12',
          osId: 'debian12',
          title: 'Debian 12 (bookworm)',
          x86_64: debian('12', 'bookworm', 'amd64'),
          aarch64: debian('12', 'bookworm', 'arm64'),
        },
        {
          name: 'debian-13',
          osId: 'debian13',
          title: 'Debian 13 (trixie)',
          x86_64: debian('13', 'trixie', 'amd64'),
          aarch64: debian('13', 'trixie', 'arm64'),
        },
        {
          name: 'ubuntu-22.04',
          osId: 'ubuntu22.04',
          title: 'Ubuntu 22.04 LTS (Jammy Jellyfish)',
          x86_64: ubuntu('22.04', 'amd64'),
          aarch64: ubuntu('22.04', 'arm64'),
        },
        {
          name: 'ubuntu-24.04',
          osId: 'ubuntu24.04',
          title: 'Ubuntu 24.04 LTS (Noble Numbat)',
          x86_64: ubuntu('24.04', 'amd64'),
          aarch64: ubuntu('24.04', 'arm64'),
        },
      ])
    })

    it('finds one entry by name, and nothing for unknown or path-like names', async () => {
      expect((await findCatalogEntry(CATALOG_DIR, 'ubuntu-24.04'))?.osId).to.equal('ubuntu24.04')
      expect(await findCatalogEntry(CATALOG_DIR, 'fedora-41')).to.equal(undefined)
      expect(await findCatalogEntry(CATALOG_DIR, '../package')).to.equal(undefined)
    })
  })

  describe('parseCatalogEntry', () => {
    it('accepts a pinned digest instead of a checksum file', () => {
      const entry = parseCatalogEntry(
        'alpine',
        `title: Alpine\nos_id: alpinelinux3.20\narch:\n  x86_64:\n    url: https://example.org/a.qcow2\n    checksum: {sha256: ${'ab'.repeat(32)}}\n`,
      )
      expect(entry).to.deep.equal({
        name: 'alpine',
        title: 'Alpine',
        osId: 'alpinelinux3.20',
        images: {x86_64: {url: 'https://example.org/a.qcow2', checksum: {algorithm: 'sha256', digest: 'ab'.repeat(32)}}},
      })
    })

    it('reports every problem at once, each with file:line:col and the field path', () => {
      const text = [
        'title: Broken',
        'os_id: Debian 12',
        'arch:',
        '  x86_64:',
        '    url: http://example.org/a.qcow2',
        '    checksum: {url: https://example.org/SUMS, algorithm: md5}',
        '  riscv64:',
        '    url: https://example.org/b.qcow2',
        'default_user: debian',
      ].join('\n')
      const error = thrown(() => parseCatalogEntry('broken', text))
      expect(error.code).to.equal('BOX_CATALOG_INVALID')
      expect(error.message).to.equal('The box catalog file boxes/broken.yaml is invalid.')
      expect(error.detail?.split('\n')).to.deep.equal([
        'boxes/broken.yaml:9:1 default_user: unknown key (expected title, os_id, arch)',
        'boxes/broken.yaml:2:8 os_id: expected a libosinfo short id such as debian12, found "Debian 12"',
        'boxes/broken.yaml:7:3 arch.riscv64: unknown key (expected x86_64, aarch64)',
        'boxes/broken.yaml:5:10 arch.x86_64.url: expected an https URL, found "http://example.org/a.qcow2"',
        'boxes/broken.yaml:6:58 arch.x86_64.checksum.algorithm: expected sha256 or sha512, found "md5"',
      ])
    })

    it('rejects a checksum that is neither a file nor exactly one pinned digest', () => {
      const text = (checksum: string) =>
        `title: T\nos_id: t1\narch:\n  aarch64:\n    url: https://example.org/a.qcow2\n    checksum: ${checksum}\n`
      expect(thrown(() => parseCatalogEntry('t', text(`{sha256: ${'a'.repeat(63)}}`))).detail).to.equal(
        'boxes/t.yaml:6:24 arch.aarch64.checksum.sha256: expected 64 lower-case hex digits',
      )
      expect(thrown(() => parseCatalogEntry('t', text(`{sha256: ${'a'.repeat(64)}, sha512: ${'b'.repeat(128)}}`))).detail).to.equal(
        'boxes/t.yaml:6:15 arch.aarch64.checksum: expected either {url, algorithm} or exactly one of {sha256: <hex>}, {sha512: <hex>}',
      )
      expect(thrown(() => parseCatalogEntry('t', text('nothing'))).detail).to.equal(
        'boxes/t.yaml:6:15 arch.aarch64.checksum: expected a mapping, found "nothing"',
      )
    })

    it('reports YAML syntax errors and missing fields with their positions', () => {
      expect(thrown(() => parseCatalogEntry('y', 'title: [unclosed\n')).detail).to.equal(
        'boxes/y.yaml:2:1 Flow sequence in block collection must be sufficiently indented and end with a ]',
      )
      expect(thrown(() => parseCatalogEntry('y', 'title: T\ntitle: U\n')).detail).to.equal('boxes/y.yaml:2:1 Map keys must be unique')
      expect(thrown(() => parseCatalogEntry('y', 'title: T\nos_id: t\narch: {}\n')).detail).to.equal(
        'boxes/y.yaml:3:7 arch: lists no architecture (expected x86_64 and/or aarch64)',
      )
      expect(thrown(() => parseCatalogEntry('y', 'title: T\n')).detail?.split('\n')).to.deep.equal([
        'boxes/y.yaml os_id: expected a non-empty string, found nothing',
        'boxes/y.yaml arch: expected a mapping, found nothing',
      ])
    })

    it('names the real path when the catalog is loaded from a folder', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'vm-catalog-'))
      try {
        await writeFile(join(dir, 'bad.yaml'), 'title: T\n')
        const error = await rejection(() => loadCatalog(dir))
        expect(error.message).to.equal(`The box catalog file ${join(dir, 'bad.yaml')} is invalid.`)
      } finally {
        await rm(dir, {recursive: true, force: true})
      }
    })
  })
})
