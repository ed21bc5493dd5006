import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {isSidecarFile} from '../../../src/box/checksums.js'
import {
  CATALOG_DIR,
  compareBoxNames,
  findCatalogEntry,
  loadCatalog,
  parseCatalogEntry,
  resolveBox,
  type CatalogEntry,
} from '../../../src/box/catalog.js'
import {ARCHES} from '../../../src/box/types.js'
import {VmError} from '../../../src/errors.js'
import {rejection} from './helpers.js'

const HEX = 'ab'.repeat(32)

function thrown(fn: () => unknown): VmError {
  try {
    fn()
  } catch (error) {
    if (error instanceof VmError) return error
    throw error
  }
  throw new Error('expected a VmError')
}

/** A temporary catalog folder holding `files` (name → YAML). */
async function withCatalog(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vm-catalog-'))
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, `${name}.yaml`), text)
    await fn(dir)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

const box = (aliases: string) =>
  `title: T\nos_id: t1\naliases: ${aliases}\ndefault_user: u\narch:\n  x86_64:\n    url: https://example.org/a.qcow2\n    checksum: {sha256: ${HEX}}\n`

describe('box/catalog', () => {
  describe('the shipped catalog (boxes/)', () => {
    let catalog: CatalogEntry[]
    before(async () => {
      catalog = await loadCatalog(CATALOG_DIR) // also checks the schema and that aliases are unique
    })

    it('lists these boxes, with these aliases, architectures and kinds of checksum source', () => {
      // A deliberate snapshot: adding, renaming or re-pointing a box should be a visible change here.
      const kind = (entry: CatalogEntry) =>
        [
          ...new Set(
            Object.values(entry.images).map((image) => {
              if (!('checksumUrl' in image.checksum)) return `pinned ${image.checksum.algorithm}`
              const sidecar = isSidecarFile(image.checksum.checksumUrl, image.url.slice(image.url.lastIndexOf('/') + 1))
              const file = image.checksum.checksumUrl.slice(image.checksum.checksumUrl.lastIndexOf('/') + 1)
              const signature = image.checksum.signature
              const signed = signature ? (signature.url ? ` + ${signature.url.slice(signature.url.lastIndexOf('/') + 1)}` : ' clear-signed') : ''
              return (sidecar ? `per-image ${file.slice(file.lastIndexOf('.'))}` : file.replace(/-\d.*-CHECKSUM$/, '-…-CHECKSUM')) + signed
            }),
          ),
        ].join(' ')
      expect(catalog.map((e) => [e.name, e.aliases.join(' '), Object.keys(e.images).join(' '), kind(e)])).to.deep.equal([
        ['almalinux-9', '', 'x86_64 aarch64', 'CHECKSUM'],
        ['almalinux-10', 'almalinux', 'x86_64 aarch64', 'CHECKSUM'],
        ['alpine-3.24', 'alpine', 'x86_64 aarch64', 'per-image .sha512'],
        ['archlinux', 'arch', 'x86_64', 'per-image .SHA256'],
        ['centos-stream-9', '', 'x86_64 aarch64', 'per-image .SHA256SUM'],
        ['centos-stream-10', 'centos-stream', 'x86_64 aarch64', 'per-image .SHA256SUM'],
        ['debian-12', 'bookworm', 'x86_64 aarch64', 'SHA512SUMS'],
        ['debian-13', 'debian trixie', 'x86_64 aarch64', 'SHA512SUMS'],
        ['fedora-44', 'fedora', 'x86_64 aarch64', 'Fedora-Cloud-…-CHECKSUM clear-signed'],
        ['opensuse-leap-16.0', 'opensuse opensuse-leap', 'x86_64 aarch64', 'per-image .sha256'],
        ['rocky-9', '', 'x86_64 aarch64', 'CHECKSUM'],
        ['rocky-10', 'rocky', 'x86_64 aarch64', 'CHECKSUM'],
        ['ubuntu-22.04', 'jammy', 'x86_64 aarch64', 'SHA256SUMS + SHA256SUMS.gpg'],
        ['ubuntu-24.04', 'noble', 'x86_64 aarch64', 'SHA256SUMS + SHA256SUMS.gpg'],
        ['ubuntu-26.04', 'ubuntu-lts resolute', 'x86_64 aarch64', 'SHA256SUMS + SHA256SUMS.gpg'],
        ['ubuntu-26.10', 'ubuntu', 'x86_64 aarch64', 'SHA256SUMS + SHA256SUMS.gpg'],
      ])
    })

    it('gives the short names people expect to the right releases', async () => {
      const target = async (alias: string) => (await findCatalogEntry(CATALOG_DIR, alias))?.name
      const expected: Record<string, string> = {
        ubuntu: 'ubuntu-26.10',
        'ubuntu-lts': 'ubuntu-26.04',
        debian: 'debian-13',
        fedora: 'fedora-44',
        almalinux: 'almalinux-10',
        rocky: 'rocky-10',
        'centos-stream': 'centos-stream-10',
        opensuse: 'opensuse-leap-16.0',
        arch: 'archlinux',
        alpine: 'alpine-3.24',
      }
      for (const [alias, name] of Object.entries(expected)) expect(await target(alias), alias).to.equal(name)
    })

    it('resolves every name and alias for every architecture it lists, to the same image', async () => {
      for (const entry of catalog) {
        for (const arch of ARCHES) {
          const image = entry.images[arch]
          if (!image) continue
          for (const name of [entry.name, ...entry.aliases]) {
            const request = await resolveBox({kind: 'catalog', name}, arch, CATALOG_DIR)
            expect(request.name, `${name} ${arch}`).to.equal(entry.name)
            expect(request.url).to.equal(image.url)
            expect(request.mirrors).to.deep.equal(image.mirrors)
            expect(request.checksum).to.deep.equal(image.checksum)
          }
        }
      }
    })

    it('has unique aliases that never equal a box name', () => {
      const names = catalog.map((entry) => entry.name)
      const aliases = catalog.flatMap((entry) => entry.aliases)
      expect(new Set(aliases).size).to.equal(aliases.length)
      expect(aliases.filter((alias) => names.includes(alias))).to.deep.equal([])
    })

    it('fetches every image, mirror and checksum file over https', () => {
      for (const entry of catalog) {
        for (const image of Object.values(entry.images)) {
          const urls = [image.url, ...image.mirrors]
          if ('checksumUrl' in image.checksum) urls.push(image.checksum.checksumUrl)
          if ('signature' in image.checksum && image.checksum.signature?.url) urls.push(image.checksum.signature.url)
          for (const url of urls) expect(new URL(url).protocol, url).to.equal('https:')
          // A mirror serves the same file: its name must be the image's, or the checksum file would not list it.
          const fileName = (url: string) => url.slice(url.lastIndexOf('/') + 1)
          for (const mirror of image.mirrors) expect(fileName(mirror), mirror).to.equal(fileName(image.url))
        }
      }
    })

    it('says what the RHEL-like x86_64 images need from the CPU', () => {
      const level = (name: string) => catalog.find((entry) => entry.name === name)?.x86_64Level
      for (const name of ['almalinux-10', 'rocky-10', 'centos-stream-10']) expect(level(name), name).to.equal(3)
      for (const name of ['almalinux-9', 'rocky-9', 'centos-stream-9']) expect(level(name), name).to.equal(2)
      for (const name of ['debian-13', 'ubuntu-26.04', 'fedora-44', 'archlinux', 'alpine-3.24']) {
        expect(level(name), name).to.equal(undefined)
      }
      expect(catalog.every((entry) => entry.firmware === 'bios')).to.equal(true)
    })

    it('finds one entry by name or alias, and nothing for unknown or path-like names', async () => {
      expect((await findCatalogEntry(CATALOG_DIR, 'ubuntu-24.04'))?.osId).to.equal('ubuntu24.04')
      expect((await findCatalogEntry(CATALOG_DIR, 'noble'))?.name).to.equal('ubuntu-24.04')
      expect(await findCatalogEntry(CATALOG_DIR, 'fedora-41')).to.equal(undefined)
      expect(await findCatalogEntry(CATALOG_DIR, '../package')).to.equal(undefined)
    })
  })

  describe('parseCatalogEntry', () => {
    it('fills in the defaults: no aliases, no mirrors, BIOS, no CPU level', () => {
      const entry = parseCatalogEntry(
        'alpine',
        `title: Alpine\nos_id: alpinelinux3.20\ndefault_user: alpine\narch:\n  x86_64:\n    url: https://example.org/a.qcow2\n    checksum: {sha256: ${HEX}}\n`,
      )
      expect(entry).to.deep.equal({
        name: 'alpine',
        title: 'Alpine',
        osId: 'alpinelinux3.20',
        aliases: [],
        defaultUser: 'alpine',
        firmware: 'bios',
        images: {x86_64: {url: 'https://example.org/a.qcow2', mirrors: [], checksum: {algorithm: 'sha256', digest: HEX}}},
      })
    })

    it('reads aliases, mirrors, firmware and the x86-64 level', () => {
      const text = [
        'title: Rocky Linux 10',
        'os_id: rocky10',
        'aliases: [rocky, rl]',
        'default_user: rocky',
        'firmware: uefi',
        'x86_64_level: 3',
        'arch:',
        '  x86_64:',
        '    url: https://a.example/r.qcow2',
        '    mirrors: [https://b.example/r.qcow2, https://c.example/r.qcow2]',
        '    checksum: {url: https://a.example/CHECKSUM, algorithm: sha256}',
      ].join('\n')
      expect(parseCatalogEntry('rocky-10', text)).to.deep.equal({
        name: 'rocky-10',
        title: 'Rocky Linux 10',
        osId: 'rocky10',
        aliases: ['rocky', 'rl'],
        defaultUser: 'rocky',
        firmware: 'uefi',
        x86_64Level: 3,
        images: {
          x86_64: {
            url: 'https://a.example/r.qcow2',
            mirrors: ['https://b.example/r.qcow2', 'https://c.example/r.qcow2'],
            checksum: {checksumUrl: 'https://a.example/CHECKSUM', algorithm: 'sha256'},
          },
        },
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
        'default_usr: debian',
      ].join('\n')
      const error = thrown(() => parseCatalogEntry('broken', text))
      expect(error.code).to.equal('BOX_CATALOG_INVALID')
      expect(error.message).to.equal('The box catalog file boxes/broken.yaml is invalid.')
      expect(error.detail?.split('\n')).to.deep.equal([
        'boxes/broken.yaml:9:1 default_usr: unknown key (expected title, os_id, aliases, default_user, firmware, x86_64_level, arch)',
        'boxes/broken.yaml:2:8 os_id: expected a libosinfo short id such as debian12, found "Debian 12"',
        'boxes/broken.yaml default_user: expected a non-empty string, found nothing',
        'boxes/broken.yaml:7:3 arch.riscv64: unknown key (expected x86_64, aarch64)',
        'boxes/broken.yaml:5:10 arch.x86_64.url: expected an https URL, found "http://example.org/a.qcow2"',
        'boxes/broken.yaml:6:58 arch.x86_64.checksum.algorithm: expected sha256 or sha512, found "md5"',
      ])
    })

    it('checks aliases, the default user, firmware, the x86-64 level and mirrors', () => {
      const text = [
        'title: T',
        'os_id: t1',
        'aliases: [t, Big, 7, t2, t2]',
        'default_user: Root User',
        'firmware: coreboot',
        'x86_64_level: 5',
        'arch:',
        '  aarch64:',
        '    url: https://example.org/a.qcow2',
        '    mirrors: [https://example.org/a.qcow2, ftp://m.example/a.qcow2, https://m.example/a.qcow2, https://m.example/a.qcow2]',
        `    checksum: {sha256: ${HEX}}`,
      ].join('\n')
      expect(thrown(() => parseCatalogEntry('t', text)).detail?.split('\n')).to.deep.equal([
        'boxes/t.yaml:3:11 aliases[0]: is the box name itself',
        'boxes/t.yaml:3:14 aliases[1]: expected lower-case letters, digits, ".", "_" and "-", found "Big"',
        'boxes/t.yaml:3:19 aliases[2]: expected a non-empty string, found 7',
        'boxes/t.yaml:3:26 aliases[4]: is listed twice',
        'boxes/t.yaml:4:15 default_user: expected a user name such as debian, found "Root User"',
        'boxes/t.yaml:5:11 firmware: expected bios or uefi, found "coreboot"',
        'boxes/t.yaml:10:15 arch.aarch64.mirrors[0]: is the image URL itself; list only other places',
        'boxes/t.yaml:10:44 arch.aarch64.mirrors[1]: expected an https URL, found "ftp://m.example/a.qcow2"',
        'boxes/t.yaml:10:96 arch.aarch64.mirrors[3]: is listed twice',
        'boxes/t.yaml:6:15 x86_64_level: expected 2, 3 or 4 (x86-64-v2 and up), found 5',
      ])
      const armOnly = `title: T\nos_id: t1\ndefault_user: u\nx86_64_level: 3\narch:\n  aarch64:\n    url: https://example.org/a.qcow2\n    checksum: {sha256: ${HEX}}\n`
      expect(thrown(() => parseCatalogEntry('t', armOnly)).detail).to.equal(
        'boxes/t.yaml:4:15 x86_64_level: is set but the box has no x86_64 image',
      )
    })

    it('rejects a checksum that is neither a file nor exactly one pinned digest', () => {
      const text = (checksum: string) =>
        `title: T\nos_id: t1\ndefault_user: u\narch:\n  aarch64:\n    url: https://example.org/a.qcow2\n    checksum: ${checksum}\n`
      expect(thrown(() => parseCatalogEntry('t', text(`{sha256: ${'a'.repeat(63)}}`))).detail).to.equal(
        'boxes/t.yaml:7:24 arch.aarch64.checksum.sha256: expected 64 lower-case hex digits',
      )
      expect(thrown(() => parseCatalogEntry('t', text(`{sha256: ${'a'.repeat(64)}, sha512: ${'b'.repeat(128)}}`))).detail).to.equal(
        'boxes/t.yaml:7:15 arch.aarch64.checksum: expected either {url, algorithm} or exactly one of {sha256: <hex>}, {sha512: <hex>}',
      )
      expect(thrown(() => parseCatalogEntry('t', text('nothing'))).detail).to.equal(
        'boxes/t.yaml:7:15 arch.aarch64.checksum: expected a mapping, found "nothing"',
      )
    })

    it('reads a signature over the checksum file: detached with its URL, or clear-signed (inline), with its key under keys/', () => {
      const text = (signature: string) =>
        `title: T\nos_id: t1\ndefault_user: u\narch:\n  x86_64:\n    url: https://example.org/a.qcow2\n    checksum: {url: https://example.org/SUMS, algorithm: sha256, signature: ${signature}}\n`
      const checksum = (signature: string, file?: string) => parseCatalogEntry('t', text(signature), file).images.x86_64?.checksum
      expect(checksum('{url: https://example.org/SUMS.gpg, key: distro.gpg}')).to.deep.equal({
        checksumUrl: 'https://example.org/SUMS',
        algorithm: 'sha256',
        signature: {url: 'https://example.org/SUMS.gpg', key: 'boxes/keys/distro.gpg'},
      })
      expect(checksum('{inline: true, key: distro.gpg}', '/opt/vm/boxes/t.yaml')).to.deep.equal({
        checksumUrl: 'https://example.org/SUMS',
        algorithm: 'sha256',
        signature: {key: '/opt/vm/boxes/keys/distro.gpg'},
      })
    })

    it('rejects a signature without exactly one of url and inline: true, a key that is not a plain .gpg name, a plain-http or self URL', () => {
      const text = (signature: string) =>
        `title: T\nos_id: t1\ndefault_user: u\narch:\n  x86_64:\n    url: https://example.org/a.qcow2\n    checksum: {url: https://example.org/SUMS, algorithm: sha256, signature: ${signature}}\n`
      const problem = (signature: string) => thrown(() => parseCatalogEntry('t', text(signature))).detail
      const either = 'expected either url: <the detached signature> or inline: true (a clear-signed checksum file), with key:'
      expect(problem('{key: k.gpg}')).to.equal(`boxes/t.yaml:7:77 arch.x86_64.checksum.signature: ${either}`)
      expect(problem('{url: https://example.org/SUMS.gpg, inline: true, key: k.gpg}')).to.equal(`boxes/t.yaml:7:77 arch.x86_64.checksum.signature: ${either}`)
      expect(problem('{inline: yes, key: k.gpg}')).to.equal(`boxes/t.yaml:7:77 arch.x86_64.checksum.signature: ${either}`)
      expect(problem('{inline: true, key: ../../etc/k.gpg}')).to.match(/signature\.key: expected the name of a \.gpg file in boxes\/keys\/, found "\.\.\/\.\.\/etc\/k\.gpg"$/)
      expect(problem('{inline: true, key: k.asc}')).to.match(/signature\.key: expected the name of a \.gpg file/)
      expect(problem('{inline: true}')).to.match(/signature\.key: expected a non-empty string, found nothing$/)
      expect(problem('{url: http://example.org/SUMS.gpg, key: k.gpg}')).to.match(/signature\.url: expected an https URL/)
      expect(problem('{url: https://example.org/SUMS, key: k.gpg}')).to.match(/signature\.url: is the checksum file itself; use inline: true/)
      expect(problem('{inline: true, key: k.gpg, keyring: x}')).to.match(/signature\.keyring: unknown key \(expected url, inline, key\)$/)
      const pinned = `title: T\nos_id: t1\ndefault_user: u\narch:\n  x86_64:\n    url: https://example.org/a.qcow2\n    checksum: {sha256: ${HEX}, signature: {inline: true, key: k.gpg}}\n`
      expect(thrown(() => parseCatalogEntry('t', pinned)).detail).to.match(/checksum: expected either \{url, algorithm\}/)
    })

    it('reports YAML syntax errors and missing fields with their positions', () => {
      expect(thrown(() => parseCatalogEntry('y', 'title: [unclosed\n')).detail).to.equal(
        'boxes/y.yaml:2:1 Flow sequence in block collection must be sufficiently indented and end with a ]',
      )
      expect(thrown(() => parseCatalogEntry('y', 'title: T\ntitle: U\n')).detail).to.equal('boxes/y.yaml:2:1 Map keys must be unique')
      expect(thrown(() => parseCatalogEntry('y', 'title: T\nos_id: t\ndefault_user: u\narch: {}\n')).detail).to.equal(
        'boxes/y.yaml:4:7 arch: lists no architecture (expected x86_64 and/or aarch64)',
      )
      expect(thrown(() => parseCatalogEntry('y', 'title: T\naliases: ubuntu\n')).detail?.split('\n')).to.deep.equal([
        'boxes/y.yaml os_id: expected a non-empty string, found nothing',
        'boxes/y.yaml:2:10 aliases: expected a list, found "ubuntu"',
        'boxes/y.yaml default_user: expected a non-empty string, found nothing',
        'boxes/y.yaml arch: expected a mapping, found nothing',
      ])
    })
  })

  describe('loadCatalog', () => {
    it('names the real path when a file is invalid', async () => {
      await withCatalog({bad: 'title: T\n'}, async (dir) => {
        const error = await rejection(() => loadCatalog(dir))
        expect(error.message).to.equal(`The box catalog file ${join(dir, 'bad.yaml')} is invalid.`)
      })
    })

    it('refuses an alias claimed by two boxes, or one that is another box name', async () => {
      await withCatalog({a: box('[x, b]'), b: box('[x]'), c: box('[]')}, async (dir) => {
        const error = await rejection(() => loadCatalog(dir))
        expect(error.code).to.equal('BOX_CATALOG_INVALID')
        expect(error.message).to.equal(`The box catalog in ${dir} gives the same name to more than one box.`)
        expect(error.detail).to.equal(
          [`${join(dir, 'a.yaml')} aliases: b is the name of another box`, `${join(dir, 'b.yaml')} aliases: x is already an alias of a`].join(
            '\n',
          ),
        )
      })
    })

    it('resolves an alias in any catalog folder, and lists boxes in counting order', async () => {
      await withCatalog({'t-10': box('[t]'), 't-9': box('[]'), 't-9.10': box('[]'), 't-9.4': box('[]')}, async (dir) => {
        expect((await loadCatalog(dir)).map((entry) => entry.name)).to.deep.equal(['t-9', 't-9.4', 't-9.10', 't-10'])
        expect((await findCatalogEntry(dir, 't'))?.name).to.equal('t-10')
        expect(await findCatalogEntry(dir, 'u')).to.equal(undefined)
      })
    })
  })

  it('compares box names with the numbers in them as numbers', () => {
    const names = ['ubuntu-26.10', 'almalinux-10', 'ubuntu-26.04', 'almalinux-9', 'alpine', 'centos-stream-10', 'centos-stream-9', 'a-01', 'a-1']
    expect([...names].sort(compareBoxNames)).to.deep.equal([
      'a-1',
      'a-01',
      'almalinux-9',
      'almalinux-10',
      'alpine',
      'centos-stream-9',
      'centos-stream-10',
      'ubuntu-26.04',
      'ubuntu-26.10',
    ])
  })
})
