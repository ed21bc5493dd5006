import {expect} from 'chai'

import {catalogJson, catalogTable} from '../../../src/box/catalog-listing.js'
import {CATALOG_DIR, loadCatalog, type CatalogEntry} from '../../../src/box/catalog.js'

const HEX = 'cd'.repeat(32)

const ENTRIES: CatalogEntry[] = [
  {
    name: 'archlinux',
    title: 'Arch Linux (rolling)',
    osId: 'archlinux',
    aliases: ['arch'],
    defaultUser: 'arch',
    firmware: 'bios',
    images: {
      x86_64: {
        url: 'https://geo.example/Arch.qcow2',
        mirrors: ['https://m1.example/Arch.qcow2', 'https://m2.example/Arch.qcow2'],
        checksum: {algorithm: 'sha256', checksumUrl: 'https://geo.example/Arch.qcow2.SHA256'},
      },
    },
  },
  {
    name: 'rocky-10',
    title: 'Rocky Linux 10',
    osId: 'rocky10',
    aliases: [],
    defaultUser: 'rocky',
    firmware: 'uefi',
    x86_64Level: 3,
    // aarch64 first on purpose: the listing puts x86_64 first whatever the file's order.
    images: {
      aarch64: {url: 'https://r.example/a.qcow2', mirrors: [], checksum: {algorithm: 'sha512', digest: HEX}},
      x86_64: {url: 'https://r.example/x.qcow2', mirrors: [], checksum: {algorithm: 'sha256', checksumUrl: 'https://r.example/CHECKSUM'}},
    },
  },
]

describe('box/catalog-listing', () => {
  it('renders NAME, ALIASES, TITLE and ARCHES, starring the arch of this host', () => {
    expect(catalogTable(ENTRIES, 'aarch64')).to.deep.equal([
      'NAME       ALIASES  TITLE                 ARCHES',
      'archlinux  arch     Arch Linux (rolling)  x86_64',
      'rocky-10   -        Rocky Linux 10        x86_64, aarch64*',
      '',
      "* this host's architecture (aarch64); a box without it cannot run here.",
    ])
    expect(catalogTable(ENTRIES, 'x86_64').slice(1, 3)).to.deep.equal([
      'archlinux  arch     Arch Linux (rolling)  x86_64*',
      'rocky-10   -        Rocky Linux 10        x86_64*, aarch64',
    ])
  })

  it('renders just the header and the note for an empty catalog', () => {
    expect(catalogTable([], 'x86_64')).to.deep.equal([
      'NAME  ALIASES  TITLE  ARCHES',
      '',
      "* this host's architecture (x86_64); a box without it cannot run here.",
    ])
  })

  it('turns entries into plain JSON objects: every field present, checksum sources spelled out', () => {
    const json = catalogJson(ENTRIES)
    expect(json).to.deep.equal([
      {
        name: 'archlinux',
        aliases: ['arch'],
        title: 'Arch Linux (rolling)',
        osId: 'archlinux',
        defaultUser: 'arch',
        firmware: 'bios',
        x86_64Level: null,
        images: {
          x86_64: {
            url: 'https://geo.example/Arch.qcow2',
            mirrors: ['https://m1.example/Arch.qcow2', 'https://m2.example/Arch.qcow2'],
            checksum: {algorithm: 'sha256', url: 'https://geo.example/Arch.qcow2.SHA256'},
          },
        },
      },
      {
        name: 'rocky-10',
        aliases: [],
        title: 'Rocky Linux 10',
        osId: 'rocky10',
        defaultUser: 'rocky',
        firmware: 'uefi',
        x86_64Level: 3,
        images: {
          x86_64: {url: 'https://r.example/x.qcow2', mirrors: [], checksum: {algorithm: 'sha256', url: 'https://r.example/CHECKSUM'}},
          aarch64: {url: 'https://r.example/a.qcow2', mirrors: [], checksum: {algorithm: 'sha512', digest: HEX}},
        },
      },
    ])
    expect(Object.keys(json[1]?.images ?? {})).to.deep.equal(['x86_64', 'aarch64'])
    // Copies, not views: changing the output leaves the catalog alone.
    json[0]?.aliases.push('changed')
    json[0]?.images.x86_64?.mirrors.push('changed')
    expect(ENTRIES[0]?.aliases).to.deep.equal(['arch'])
    expect(ENTRIES[0]?.images.x86_64?.mirrors).to.have.length(2)
    // What --json prints survives a round trip unchanged (no undefined, no class instances).
    expect(JSON.parse(JSON.stringify(json))).to.deep.equal(json)
  })

  it('lists the whole shipped catalog, one row per box', async () => {
    const catalog = await loadCatalog(CATALOG_DIR)
    const lines = catalogTable(catalog, 'aarch64')
    expect(lines).to.have.length(catalog.length + 3)
    expect(lines.find((line) => line.startsWith('archlinux '))).to.match(/ x86_64$/)
    expect(lines.find((line) => line.startsWith('ubuntu-26.10 '))).to.match(/ ubuntu +Ubuntu 26\.10 .* x86_64, aarch64\*$/)
    expect(catalogJson(catalog).map((entry) => entry.name)).to.deep.equal(catalog.map((entry) => entry.name))
  })
})
