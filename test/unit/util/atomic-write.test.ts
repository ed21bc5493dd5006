import {readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {writeFileAtomic} from '../../../src/util/atomic-write.js'
import {tempDir} from '../fixture.js'

describe('util/atomic-write', () => {
  let scratch: Awaited<ReturnType<typeof tempDir>>
  beforeEach(async () => {
    scratch = await tempDir('vm-atomic-')
  })
  afterEach(() => scratch.remove())

  it('replaces a file whole, with the mode asked for, and leaves no temp file', async () => {
    const path = join(scratch.dir, 'record')
    await writeFile(path, 'old')
    await writeFileAtomic(path, 'new', 0o600)
    expect(await readFile(path, 'utf8')).to.equal('new')
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    expect(await readdir(scratch.dir)).to.deep.equal(['record'])
  })

  it('with replace: false, makes a new file but never clobbers one, and leaves no temp file', async () => {
    const path = join(scratch.dir, 'Vmfile')
    await writeFileAtomic(path, 'first', 0o644, {replace: false})
    expect(await readFile(path, 'utf8')).to.equal('first')
    const error = await writeFileAtomic(path, 'second', 0o644, {replace: false}).catch((e: NodeJS.ErrnoException) => e)
    expect((error as NodeJS.ErrnoException).code).to.equal('EEXIST')
    expect(await readFile(path, 'utf8')).to.equal('first')
    expect(await readdir(scratch.dir)).to.deep.equal(['Vmfile'])
  })

  it('fails without leaving a temp file when the folder is missing', async () => {
    const error = await writeFileAtomic(join(scratch.dir, 'gone', 'x'), 'data').catch((e: NodeJS.ErrnoException) => e)
    expect((error as NodeJS.ErrnoException).code).to.equal('ENOENT')
    expect(await readdir(scratch.dir)).to.deep.equal([])
  })
})
