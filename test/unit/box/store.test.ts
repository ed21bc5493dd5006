import {mkdir, readFile, stat, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import type {VmError} from '../../../src/errors.js'

import {
  commitEntry,
  createTempPath,
  createWorkDir,
  listPartFiles,
  partPathFor,
  removeEntry,
  removeImageFile,
  updateMeta,
  findByDigest,
  findNewestByUrl,
  listEntries,
  removeStaleTemps,
  type CacheMeta,
} from '../../../src/box/store.js'
import {fakeImage, list, sha256, sha512, tempHome} from './helpers.js'

describe('box/cache', () => {
  let root: string
  let cleanup: () => Promise<void>

  beforeEach(async () => {
    const temp = await tempHome()
    root = join(temp.home.cacheDir, 'boxes')
    cleanup = temp.cleanup
  })
  afterEach(() => cleanup())

  /** Commits `data` as if it had just been downloaded and verified. */
  async function put(data: Buffer, meta: Partial<CacheMeta> = {}) {
    const temp = await createTempPath(root)
    await writeFile(temp, data)
    return commitEntry(root, temp, {
      sha256: sha256(data),
      size: data.length,
      url: 'https://example.org/a.img',
      name: 'a',
      fetchedAt: '2026-01-01T00:00:00.000Z',
      lastUsedAt: '2026-01-01T00:00:00.000Z',
      ...meta,
    })
  }

  it('stores the image read-only under its sha256 and finds it by either digest', async () => {
    const data = fakeImage(5000)
    const entry = await put(data, {sha512: sha512(data)})
    expect(entry.imagePath).to.equal(join(root, 'sha256', sha256(data), 'image'))
    expect((await stat(entry.imagePath!)).mode & 0o777).to.equal(0o444)
    expect((await findByDigest(root, 'sha256', sha256(data).toUpperCase()))?.imagePath).to.equal(entry.imagePath)
    expect((await findByDigest(root, 'sha512', sha512(data)))?.imagePath).to.equal(entry.imagePath)
    expect(await findByDigest(root, 'sha512', sha512('other'))).to.equal(undefined)
    expect(await list(join(root, 'tmp'))).to.deep.equal([])
  })

  it('keeps the first image and merges digests when the same content is committed again', async () => {
    const data = fakeImage(5000)
    await put(data, {sha512: sha512(data)})
    const again = await put(data, {url: 'https://mirror.example.org/a.img', fetchedAt: '2026-02-01T00:00:00.000Z'})
    expect(again.meta).to.deep.equal({
      sha256: sha256(data),
      sha512: sha512(data),
      size: 5000,
      url: 'https://mirror.example.org/a.img',
      name: 'a',
      fetchedAt: '2026-02-01T00:00:00.000Z',
      lastUsedAt: '2026-01-01T00:00:00.000Z',
    })
    expect(await list(join(root, 'tmp'))).to.deep.equal([])
    expect(await list(again.dir)).to.deep.equal(['image', 'meta.json'])
  })

  it('returns the most recently fetched entry for a URL', async () => {
    await put(fakeImage(100, 'one'), {fetchedAt: '2026-01-05T00:00:00.000Z'})
    const newest = await put(fakeImage(100, 'two'), {fetchedAt: '2026-03-05T00:00:00.000Z'})
    await put(fakeImage(100, 'three'), {fetchedAt: '2026-02-05T00:00:00.000Z'})
    await put(fakeImage(100, 'four'), {fetchedAt: '2026-09-05T00:00:00.000Z', url: 'https://example.org/other.img'})
    expect((await findNewestByUrl(root, 'https://example.org/a.img'))?.meta.sha256).to.equal(newest.meta.sha256)
    expect(await findNewestByUrl(root, 'https://example.org/none.img')).to.equal(undefined)
  })

  it('ignores entries whose meta.json is missing (not committed), or whose image is gone or the wrong size', async () => {
    const good = await put(fakeImage(100, 'good'))
    const noMeta = join(root, 'sha256', sha256('no meta'))
    await mkdir(noMeta, {recursive: true})
    await writeFile(join(noMeta, 'image'), 'no meta')
    const truncated = await put(fakeImage(100, 'truncated'))
    await writeFile(join(truncated.dir, 'meta.json'), JSON.stringify({...truncated.meta, size: 200}))
    expect((await listEntries(root)).map((entry) => entry.meta.sha256)).to.deep.equal([good.meta.sha256])
  })

  for (const [what, text] of [['cut off', '{"sha256": '], ['null', 'null'], ['of another entry', JSON.stringify({sha256: 'ab'.repeat(32)})]]) {
    it(`a meta.json that is ${what} is an error naming the file, never "no entry"`, async () => {
      await put(fakeImage(100, 'good'))
      const damaged = join(root, 'sha256', sha256('damaged'))
      await mkdir(damaged, {recursive: true})
      await writeFile(join(damaged, 'meta.json'), text!)
      const error = await listEntries(root).then(() => undefined, (e: unknown) => e as VmError)
      expect(error?.code).to.equal('CACHE_RECORD_DAMAGED')
      expect(error?.message).to.equal(`The box cache record ${join(damaged, 'meta.json')} is damaged.`)
      expect(error?.hint).to.contain(`rm -r ${damaged}`)
    })
  }

  it('writes meta.json as complete JSON ending in a newline', async () => {
    const entry = await put(fakeImage(10))
    const text = await readFile(join(entry.dir, 'meta.json'), 'utf8')
    expect(text.endsWith('}\n')).to.equal(true)
    expect(JSON.parse(text)).to.deep.equal(entry.meta)
  })

  it('removes only downloads nobody has written to for a day', async () => {
    const stale = await createTempPath(root)
    const fresh = await createTempPath(root)
    await writeFile(stale, 'x')
    await writeFile(fresh, 'y')
    const now = new Date('2026-05-02T12:00:00.000Z')
    await utimes(stale, new Date('2026-05-01T11:00:00.000Z'), new Date('2026-05-01T11:00:00.000Z'))
    await utimes(fresh, new Date('2026-05-02T11:00:00.000Z'), new Date('2026-05-02T11:00:00.000Z'))
    await removeStaleTemps(root, now)
    expect(await list(join(root, 'tmp'))).to.deep.equal([fresh.slice(fresh.lastIndexOf('/') + 1)])
  })

  it('keeps a resumable part file for a week, one-off temp files and work folders for a day', async () => {
    const part = partPathFor(root, 'https://h/img.qcow2')
    const work = await createWorkDir(root)
    const temp = await createTempPath(root)
    await writeFile(part, 'x')
    await writeFile(`${part}.json`, '{}')
    await writeFile(temp, 'y')
    const threeDaysAgo = new Date('2026-04-29T12:00:00.000Z')
    for (const path of [part, `${part}.json`, work, temp]) await utimes(path, threeDaysAgo, threeDaysAgo)
    const removed = await removeStaleTemps(root, new Date('2026-05-02T12:00:00.000Z'))
    expect(removed.sort()).to.deep.equal([temp, work].sort())
    expect((await listPartFiles(root)).map((p) => p.path)).to.deep.equal([part])
    await removeStaleTemps(root, new Date('2026-05-08T12:00:00.000Z'))
    expect(await list(join(root, 'tmp'))).to.deep.equal([])
  })

  it('updateMeta applies a change to what is on disk; removeEntry leaves nothing that looks complete', async () => {
    const entry = await put(fakeImage(10))
    const record = {uri: 'qemu:///system', pool: 'vmfile', volume: `${entry.meta.sha256}.qcow2`, state: 'complete' as const}
    const updated = await updateMeta(entry, (meta) => ({...meta, volumes: [record]}))
    expect(updated.meta.volumes).to.deep.equal([record])
    // With its image gone, the entry still counts: the pool holds the copy.
    await removeImageFile(updated)
    expect((await findByDigest(root, 'sha256', entry.meta.sha256))?.imagePath).to.equal(undefined)
    await removeEntry(updated)
    expect(await listEntries(root)).to.deep.equal([])
    expect(await list(join(root, 'sha256'))).to.deep.equal([])
  })
})
