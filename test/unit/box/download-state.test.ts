import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {FileHasher} from '../../../src/box/file-hasher.js'
import {contentLength, ifRangeValue, parseContentRange, validatorOf} from '../../../src/box/http-range.js'
import {readResumeState, statePath, writeResumeState} from '../../../src/box/resume-state.js'
import {fakeImage, sha256, sha512} from './helpers.js'

describe('box/http-range, resume-state and file-hasher', () => {
  let dir: string
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'vm-download-state-'))))
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('prefers a strong ETag, falls back to Last-Modified (never a weak ETag)', () => {
    const date = 'Tue, 03 Mar 2026 10:00:00 GMT'
    expect(validatorOf({etag: '"abc"', 'last-modified': date})).to.deep.equal({etag: '"abc"'})
    expect(validatorOf({etag: 'W/"abc"', 'last-modified': date})).to.deep.equal({lastModified: date})
    expect(validatorOf({etag: 'W/"abc"'})).to.equal(undefined)
    expect(validatorOf({})).to.equal(undefined)
    expect(ifRangeValue({etag: '"abc"'})).to.equal('"abc"')
    expect(ifRangeValue({lastModified: date})).to.equal(date)
  })

  it('parses Content-Range and Content-Length', () => {
    expect(parseContentRange('bytes 100-199/1000')).to.deep.equal({start: 100, end: 199, total: 1000})
    expect(parseContentRange('bytes 100-199/*')).to.deep.equal({start: 100, end: 199, total: undefined})
    expect(parseContentRange('bytes */1000')).to.deep.equal({unsatisfied: true, total: 1000})
    expect(parseContentRange('bytes 200-100/1000')).to.equal(undefined)
    expect(parseContentRange('bytes 100-1000/1000')).to.equal(undefined)
    expect(parseContentRange('items 1-2/3')).to.equal(undefined)
    expect(parseContentRange(undefined)).to.equal(undefined)
    expect(contentLength({'content-length': '42'})).to.equal(42)
    expect(contentLength({'content-length': '-1'})).to.equal(undefined)
    expect(contentLength({})).to.equal(undefined)
  })

  it('reads back the state of the same URL list (in any order) and nothing else', async () => {
    const part = join(dir, 'x.part')
    const state = {version: 1, urls: ['http://a/x', 'http://b/x'], url: 'http://b/x', validator: {etag: '"e"'}, totalBytes: 10} as const
    await writeResumeState(part, state)
    expect(await readResumeState(part, ['http://b/x', 'http://a/x'])).to.deep.equal(state)
    expect(await readResumeState(part, ['http://a/x'])).to.equal(undefined)
    expect(await readResumeState(part, ['http://a/x', 'http://b/x', 'http://c/x'])).to.equal(undefined)
    await writeFile(statePath(part), JSON.stringify({...state, totalBytes: -1}))
    expect(await readResumeState(part, state.urls)).to.equal(undefined)
    await writeFile(statePath(part), JSON.stringify({...state, validator: {}}))
    expect(await readResumeState(part, state.urls)).to.equal(undefined)
    expect(await readResumeState(join(dir, 'none.part'), state.urls)).to.equal(undefined)
  })

  it('hashes a file as it grows, in a worker, and reports a file shorter than promised', async () => {
    const data = fakeImage(5 * 1024 * 1024 + 3)
    const path = join(dir, 'grow')
    await writeFile(path, data.subarray(0, 1000))
    const hasher = new FileHasher(path, true)
    hasher.advance(1000)
    await writeFile(path, data)
    hasher.advance(data.length)
    expect(await hasher.finish(data.length)).to.deep.equal({size: data.length, sha256: sha256(data), sha512: sha512(data)})

    const short = new FileHasher(path, false)
    const error = await short.finish(data.length + 10).catch((e: Error) => e)
    expect((error as Error).message).to.contain(`the file ended at ${data.length} bytes`)
  })
})
