import {access, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {importBox} from '../../../src/box/pool-import.js'
import {commitEntry, createTempPath, findByDigest, type CacheEntry} from '../../../src/box/store.js'
import {resolveLibvirtSettings, type LibvirtSettings} from '../../../src/libvirt/settings.js'
import {FakeVirsh} from './fake-virsh.js'
import {fakeImage, sha256, tempHome} from './helpers.js'

const IMAGE = fakeImage(64 * 1024)
const SHA = sha256(IMAGE)
const BASE = `${SHA}.qcow2`

describe('box/pool-import: one copy per host, and no half-uploaded volume ever used', () => {
  let root: string
  let cleanup: () => Promise<void>
  let virsh: FakeVirsh
  let logs: string[]
  const local: LibvirtSettings = resolveLibvirtSettings({VM_POOL: 'vmfile'}, '/home/u')
  const remote: LibvirtSettings = resolveLibvirtSettings({VM_POOL: 'vmfile', VM_LIBVIRT_URI: 'qemu+ssh://far/system'}, '/home/u')

  beforeEach(async () => {
    const temp = await tempHome()
    root = join(temp.home.cacheDir, 'boxes')
    cleanup = temp.cleanup
    virsh = new FakeVirsh()
    virsh.addPool('vmfile')
    logs = []
  })
  afterEach(() => cleanup())

  async function entry(): Promise<CacheEntry> {
    const temp = await createTempPath(root)
    await writeFile(temp, IMAGE)
    const stamp = '2026-01-01T00:00:00.000Z'
    return commitEntry(root, temp, {sha256: SHA, size: IMAGE.length, imageSize: IMAGE.length, virtualSize: 1 << 30, url: 'https://x/img', name: 'img', fetchedAt: stamp, lastUsedAt: stamp})
  }
  const options = (libvirt: LibvirtSettings) => ({virsh: virsh.asVirsh(), libvirt: {...libvirt, uri: virsh.uri}, log: (line: string) => logs.push(line)})

  it('on a local connection: uploads, records the volume, then drops the cache file', async () => {
    const imported = await importBox(await entry(), options(local))
    expect(imported?.volume).to.equal(BASE)
    expect(imported?.virtualSize).to.equal(1 << 30)
    expect(virsh.pools.get('vmfile')?.get(BASE)?.bytes?.equals(IMAGE)).to.equal(true)
    expect(imported?.entry.imagePath).to.equal(undefined)
    await access(join(root, 'sha256', SHA, 'image')).then(
      () => expect.fail('the cache still holds a second copy'),
      () => undefined,
    )
    // The entry is still found: its copy is the recorded volume.
    const found = await findByDigest(root, 'sha256', SHA)
    expect(found?.meta.volumes).to.deep.equal([{uri: virsh.uri, pool: 'vmfile', volume: BASE, state: 'complete'}])
    // A second import is a no-op.
    virsh.calls.length = 0
    await importBox(found!, options(local))
    expect(virsh.calls).to.deep.equal([])
  })

  it('on a remote connection: keeps the cache file (the pool is on another host)', async () => {
    const imported = await importBox(await entry(), options(remote))
    expect(imported?.entry.imagePath).to.be.a('string')
    await access(imported!.entry.imagePath!)
  })

  it('replaces a volume left by an upload that was cut off (no record of completion)', async () => {
    virsh.pools.get('vmfile')!.set(BASE, {capacity: 1, bytes: IMAGE.subarray(0, 100)})
    const imported = await importBox(await entry(), options(local))
    expect(virsh.calls).to.deep.equal([`delete vmfile/${BASE}`, `create vmfile/${BASE}`, `upload vmfile/${BASE}`])
    expect(virsh.pools.get('vmfile')?.get(BASE)?.bytes?.equals(IMAGE)).to.equal(true)
    expect(imported).to.not.equal(undefined)
    expect(logs.join('\n')).to.include('did not finish')
  })

  it('keeps (adopts) an unrecorded volume that machines already back onto', async () => {
    virsh.pools.get('vmfile')!.set(BASE, {capacity: 1 << 30, bytes: IMAGE})
    virsh.pools.get('vmfile')!.set('proj-web-12345678.qcow2', {capacity: 1 << 30, backing: BASE})
    const imported = await importBox(await entry(), options(local))
    expect(virsh.calls).to.deep.equal([])
    expect(imported?.entry.meta.volumes?.[0]?.state).to.equal('complete')
  })

  it('a failed upload leaves no volume and a record that does not count', async () => {
    virsh.failUpload = new Error('upload broke')
    const error = await importBox(await entry(), options(local)).catch((e: Error) => e)
    expect((error as Error).message).to.equal('upload broke')
    expect(virsh.pools.get('vmfile')?.has(BASE)).to.equal(false)
    const found = await findByDigest(root, 'sha256', SHA)
    expect(found?.imagePath).to.be.a('string') // the file is still the copy
    expect(found?.meta.volumes?.[0]?.state).to.equal('importing')
  })

  it('copies from another pool of the same connection when the file is gone', async () => {
    await importBox(await entry(), options(local)) // into vmfile; file dropped
    virsh.addPool('other')
    const found = await findByDigest(root, 'sha256', SHA)
    const imported = await importBox(found!, {...options(local), libvirt: {...options(local).libvirt, pool: 'other'}})
    expect(virsh.calls.at(-1)).to.equal(`clone vmfile/${BASE} -> other/${BASE}`)
    expect(imported?.entry.meta.volumes?.map((v) => v.pool).sort()).to.deep.equal(['other', 'vmfile'])
  })

  it('says the entry is unusable when its file and every volume are gone', async () => {
    await importBox(await entry(), options(local))
    virsh.pools.get('vmfile')!.delete(BASE) // removed behind vm's back
    const found = await findByDigest(root, 'sha256', SHA)
    expect(await importBox(found!, options(local))).to.equal(undefined)
    expect(await findByDigest(root, 'sha256', SHA)).to.equal(undefined)
  })

  it('forgets copies in pools deleted since, so the entry counts as gone and is fetched again', async () => {
    await importBox(await entry(), options(local)) // into vmfile; file dropped
    virsh.addPool('other')
    const found = await findByDigest(root, 'sha256', SHA)
    await importBox(found!, {...options(local), libvirt: {...options(local).libvirt, pool: 'other'}})
    // Both pools lose the volume (one deleted with its folder, the other's volume removed by hand).
    virsh.pools.get('vmfile')!.delete(BASE)
    virsh.pools.delete('other')
    expect(await importBox((await findByDigest(root, 'sha256', SHA))!, options(local))).to.equal(undefined)
    expect(await findByDigest(root, 'sha256', SHA)).to.equal(undefined)
  })
})
