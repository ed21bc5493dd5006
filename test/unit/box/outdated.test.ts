import {expect} from 'chai'

import type {CatalogEntry} from '../../../src/box/catalog-entry.js'
import type {NamedBox} from '../../../src/box/named-boxes.js'
import {checkOutdated} from '../../../src/box/outdated.js'
import type {CacheEntry} from '../../../src/box/store.js'
import type {Runner} from '../../../src/exec/runner.js'
import {serve, sha256, startServer, type TestServer} from './helpers.js'

/** No catalog entry here is signed: nothing may run. */
const runner: Runner = {run: (file) => Promise.reject(new Error(`unexpected ${file}`))}

describe('box/outdated: is the cached image the one published today?', () => {
  let server: TestServer
  beforeEach(async () => {
    server = await startServer()
  })
  afterEach(() => server.close())

  const cached = (name: string, content: string, fetchedAt = '2026-11-01T00:00:00.000Z'): CacheEntry => ({
    dir: '/c',
    imagePath: '/c/image',
    meta: {sha256: sha256(content), size: 1, url: `https://x/${name}`, name, fetchedAt, lastUsedAt: fetchedAt},
  })
  const catalogEntry = (name: string): CatalogEntry => ({
    name,
    title: name,
    osId: 'x',
    aliases: [],
    defaultUser: 'x',
    firmware: 'bios',
    images: {x86_64: {url: server.url(`/${name}/img.qcow2`), mirrors: [], checksum: {algorithm: 'sha256', checksumUrl: server.url(`/${name}/SHA256SUMS`)}}},
  })

  it('compares the newest cached copy of each catalog box, and each added box with a checksum URL', async () => {
    server.routes = {
      '/current/SHA256SUMS': serve(`${sha256('v2')} *img.qcow2\n`),
      '/stale/SHA256SUMS': serve(`${sha256('v3')} *img.qcow2\n`),
      '/mine/SUMS': serve(`${sha256('mine')}  mine.qcow2\n`),
    }
    const named: NamedBox[] = [
      {name: 'mine', source: server.url('/mine/mine.qcow2'), sha256: sha256('mine'), verifiedBy: 'checksum-url', checksumUrl: server.url('/mine/SUMS'), addedAt: 'x'},
      {name: 'pinned', source: '/srv/p.box', sha256: sha256('p'), verifiedBy: 'local-file', addedAt: 'x'},
    ]
    const entries = [cached('current', 'v1'), cached('current', 'v2', '2026-11-20T00:00:00.000Z'), cached('stale', 'v2'), cached('mine', 'mine'), cached('pinned', 'p')]
    const rows = await checkOutdated([catalogEntry('current'), catalogEntry('stale'), catalogEntry('absent')], named, entries, 'x86_64', {root: '/nonexistent', log: () => undefined, runner})
    expect(rows.map((r) => [r.name, r.status])).to.deep.equal([
      ['mine', 'up-to-date'],
      ['pinned', 'pinned'],
      ['current', 'up-to-date'],
      ['stale', 'outdated'],
    ])
    expect(rows.find((r) => r.name === 'stale')?.currentDigest).to.equal(sha256('v3'))
  })

  it('says unknown, with the reason, when the checksum file cannot be read', async () => {
    const rows = await checkOutdated([catalogEntry('gone')], [], [cached('gone', 'v1')], 'x86_64', {root: '/nonexistent', log: () => undefined, runner, retry: {attemptsPerUrl: 1, initialDelayMs: 1, maxDelayMs: 1}})
    expect(rows.map((r) => r.status)).to.deep.equal(['unknown'])
    expect(rows[0]?.reason).to.match(/HTTP 404/)
  })
})
