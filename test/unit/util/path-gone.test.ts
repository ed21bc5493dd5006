import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {isPathGone} from '../../../src/util/path-gone.js'

describe('util/path-gone', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vm-path-gone-'))
    await writeFile(join(dir, 'file'), '')
  })
  after(() => rm(dir, {recursive: true, force: true}))

  it('is gone only when the path is not there (ENOENT) or its parent is a file (ENOTDIR)', async () => {
    expect(await isPathGone(join(dir, 'missing'))).to.equal(true)
    expect(await isPathGone(join(dir, 'file', 'below'))).to.equal(true)
    expect(await isPathGone(dir)).to.equal(false)
  })

  it("is not gone when vm may not look (EACCES: another user's home), nor on any other failure", async () => {
    // Root reads every folder, so the refusal is faked.
    const refuse = (code: string) => async () => {
      throw Object.assign(new Error(code), {code})
    }
    expect(await isPathGone('/home/bob/project', refuse('EACCES'))).to.equal(false)
    expect(await isPathGone('/home/bob/project', refuse('EIO'))).to.equal(false)
    expect(await isPathGone('/home/bob/project', refuse('ENOENT'))).to.equal(true)
  })
})
