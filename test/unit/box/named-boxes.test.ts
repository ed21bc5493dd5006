import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {addBoxRequest} from '../../../src/box/add-request.js'
import {joinInventory, rowsNamed} from '../../../src/box/inventory.js'
import {checkBoxName, listNamedBoxes, readNamedBox, removeNamedBox, writeNamedBox, type NamedBox} from '../../../src/box/named-boxes.js'
import {namedBoxRequest} from '../../../src/box/resolve-request.js'
import type {CacheEntry} from '../../../src/box/store.js'
import {rejection, tempHome} from './helpers.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const box = (name: string, sha256 = A): NamedBox => ({name, source: '/srv/x.box', sha256, verifiedBy: 'local-file', addedAt: '2026-11-01T00:00:00.000Z'})

describe('box/named-boxes: what `vm box add` remembers', () => {
  it('writes, reads, lists and removes records; a damaged one is reported, not guessed at', async () => {
    const {home, cleanup} = await tempHome()
    try {
      await writeNamedBox(home, box('web'))
      await writeNamedBox(home, box('api', B))
      expect(await readNamedBox(home, 'web')).to.deep.equal(box('web'))
      expect((await listNamedBoxes(home)).map((b) => b.name)).to.deep.equal(['api', 'web'])
      expect(await readNamedBox(home, 'nope')).to.equal(undefined)
      expect(await removeNamedBox(home, 'web')).to.equal(true)
      expect(await removeNamedBox(home, 'web')).to.equal(false)
      await mkdir(join(home.dataDir, 'boxes'), {recursive: true})
      await writeFile(join(home.dataDir, 'boxes', 'bad.json'), '{"name": "bad"')
      expect((await rejection(() => readNamedBox(home, 'bad'))).code).to.equal('BOX_RECORD_INVALID')
      // A listing names the damaged record too, rather than showing the boxes without it.
      const listed = await rejection(() => listNamedBoxes(home))
      expect(listed.code).to.equal('BOX_RECORD_INVALID')
      expect(listed.detail).to.equal(join(home.dataDir, 'boxes', 'bad.json'))
    } finally {
      await cleanup()
    }
  })

  it('refuses names that are not plain file names', () => {
    for (const name of ['../x', 'UPPER', '', '-x', 'a/b', 'x'.repeat(65)]) {
      expect(() => checkBoxName(name), name).to.throw(/cannot be a box name/)
    }
    expect(() => checkBoxName('my-box.v2_1')).to.not.throw()
  })

  it('an added box is pinned to the sha256 that was added', () => {
    expect(namedBoxRequest(box('web'))).to.deep.equal({name: 'web', url: '/srv/x.box', checksum: {algorithm: 'sha256', digest: A}, mirrors: []})
  })
})

describe('box/add-request: the command line as one image to fetch', () => {
  it('resolves a relative path from the current folder, and takes the algorithm from the checksum file name', () => {
    expect(addBoxRequest('x', 'out/x.box', {}, '/home/u/proj')).to.deep.equal({name: 'x', url: '/home/u/proj/out/x.box', checksum: undefined, mirrors: []})
    expect(addBoxRequest('x', 'https://h/x.qcow2', {checksumUrl: 'https://h/SHA512SUMS'}, '/').checksum).to.deep.equal({algorithm: 'sha512', checksumUrl: 'https://h/SHA512SUMS'})
    expect(addBoxRequest('x', 'https://h/x.qcow2', {sha256: `SHA256:${A.toUpperCase()}`}, '/').checksum).to.deep.equal({algorithm: 'sha256', digest: A})
  })

  it('refuses a malformed digest and an unsupported scheme', () => {
    expect(() => addBoxRequest('x', 'https://h/x', {sha256: 'abc'}, '/')).to.throw(/64 hex digits/)
    expect(() => addBoxRequest('x', 'ftp://h/x', {}, '/')).to.throw(/ftp scheme is not supported/)
  })
})

describe('box/inventory: cache × added names × overlays', () => {
  const entry = (sha256: string, name: string, volumes = true): CacheEntry => ({
    dir: `/c/${sha256}`,
    imagePath: volumes ? undefined : `/c/${sha256}/image`,
    meta: {
      sha256, size: 100, imageSize: 200, url: `https://h/${name}.qcow2`, name, format: 'qcow2',
      fetchedAt: '2026-10-01T00:00:00.000Z', lastUsedAt: '2026-11-20T00:00:00.000Z',
      ...(volumes ? {volumes: [{uri: 'qemu:///system', pool: 'vmfile', volume: `${sha256}.qcow2`, state: 'complete' as const}]} : {}),
    },
  })

  it('joins names, where it is stored and which machines use it', () => {
    const backing = new Map([[`${A}.qcow2`, ['proj-web-1234abcd.qcow2']]])
    const rows = joinInventory([entry(A, 'debian-12'), entry(B, 'x', false)], [box('mine', A), box('gone', 'c'.repeat(64))], backing)
    expect(rows.map((r) => [r.names, r.storedIn, r.usedBy, r.size])).to.deep.equal([
      [['gone'], [], [], undefined],
      [['mine', 'debian-12'], ['pool vmfile'], ['proj-web-1234abcd'], 200],
      [['x'], ['cache'], [], 200],
    ])
    expect(rowsNamed(rows, 'debian-12').map((r) => r.sha256)).to.deep.equal([A])
    expect(rowsNamed(rows, 'mine').map((r) => r.sha256)).to.deep.equal([A])
  })

  it('without libvirt, says it does not know who uses what', () => {
    expect(joinInventory([entry(A, 'debian-12')], [], undefined)[0]?.usedBy).to.equal(undefined)
  })
})
