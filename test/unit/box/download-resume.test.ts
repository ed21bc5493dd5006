import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {discardPartial, downloadResumable, type ResumableDownloadOptions} from '../../../src/box/download.js'
import type {ProgressReporter} from '../../../src/box/progress.js'
import {statePath} from '../../../src/box/resume-state.js'
import {startFlakyServer, type FlakyServer} from '../../helpers/flaky-server.js'
import {fakeImage, rejection, sha256, sha512} from './helpers.js'

const KiB = 1024
const IMAGE = fakeImage(1536 * KiB + 17) // 1.5 MiB and change: many pieces, not a round size
const FAST_TIMEOUTS = {connectMs: 2000, responseMs: 2000, stallMs: 300}
const FAST_RETRY = {attemptsPerUrl: 3, initialDelayMs: 20, maxDelayMs: 200}

/** Records what the download tells the reporter. */
function recorder() {
  const events: string[] = []
  let last = 0
  const progress: ProgressReporter = {
    start: (label, total, startAt) => events.push(`start ${label} ${total} ${startAt ?? 0}`),
    update: (bytes) => (last = bytes),
    finish: () => events.push(`finish ${last}`),
    fail: () => events.push(`fail ${last}`),
  }
  return {events, progress}
}

describe('box/download: downloadResumable (against a misbehaving HTTP server)', () => {
  let server: FlakyServer
  let dir: string
  let partPath: string
  let logs: string[]
  let events: string[]

  beforeEach(async () => {
    server = await startFlakyServer()
    dir = await mkdtemp(join(tmpdir(), 'vm-download-test-'))
    partPath = join(dir, 'tmp', 'x.part')
    logs = []
    events = []
    server.serve('/a.img', IMAGE)
  })

  afterEach(async () => {
    await server.close()
    await rm(dir, {recursive: true, force: true})
  })

  function download(urls: string[], extra: Partial<ResumableDownloadOptions> = {}) {
    const record = recorder()
    events = record.events
    return downloadResumable({
      urls,
      partPath,
      label: 'Downloading test',
      sha512: false,
      progress: record.progress,
      timeouts: FAST_TIMEOUTS,
      retry: FAST_RETRY,
      log: (line) => logs.push(line),
      ...extra,
    })
  }

  const exists = (path: string) => stat(path).then(() => true, () => false)

  it('downloads a file whole into the part, hashed (sha256 and sha512), and discardPartial removes it', async () => {
    const url = server.url('/a.img')
    const file = await download([url], {sha512: true})
    expect(file).to.deep.equal({
      path: partPath,
      size: IMAGE.length,
      sha256: sha256(IMAGE),
      sha512: sha512(IMAGE),
      url,
      fetchedBytes: IMAGE.length,
      resumedFrom: 0,
    })
    expect((await readFile(partPath)).equals(IMAGE)).to.equal(true)
    expect(events).to.deep.equal([`start Downloading test ${IMAGE.length} 0`, `finish ${IMAGE.length}`])
    expect(server.requests.map((r) => [r.range, r.status])).to.deep.equal([[undefined, 200]])
    expect(logs).to.deep.equal([])

    await discardPartial(partPath)
    expect(await exists(partPath)).to.equal(false)
    expect(await exists(statePath(partPath))).to.equal(false)
  })

  it('resumes after a dropped connection with Range and If-Range, fetching each byte once', async () => {
    server.fail('/a.img', {kind: 'drop', afterBytes: 700 * KiB})
    const url = server.url('/a.img')
    const file = await download([url])
    expect(file.sha256).to.equal(sha256(IMAGE))
    expect(file.fetchedBytes).to.equal(IMAGE.length)
    const [first, second] = server.requests
    expect(first).to.include({range: undefined, status: 200, bytesSent: 700 * KiB})
    expect(second).to.include({range: `bytes=${700 * KiB}-`, status: 206})
    expect(second!.ifRange).to.match(/^"[0-9a-f]{16}"$/)
    expect(server.bytesSent()).to.equal(IMAGE.length)
    expect(logs).to.have.length(1)
    expect(logs[0]).to.match(
      new RegExp(`^${url}: the connection broke off during the transfer \\(ECONNRESET\\) at 700 KiB; resuming in .* \\(attempt 2 of 3\\)$`),
    )
  })

  it('starts again from zero when the server ignores Range (200), hashing from zero', async () => {
    server.fail('/a.img', {kind: 'drop', afterBytes: 500 * KiB}, {kind: 'ignore-range'})
    const file = await download([server.url('/a.img')])
    expect(file.sha256).to.equal(sha256(IMAGE))
    expect(file.size).to.equal(IMAGE.length)
    expect(file.fetchedBytes).to.equal(500 * KiB + IMAGE.length)
    expect(server.requests.map((r) => [r.range, r.status])).to.deep.equal([
      [undefined, 200],
      [`bytes=${500 * KiB}-`, 200],
    ])
    expect(logs[1]).to.contain('sent the whole file instead of the rest').and.to.contain('starting again from zero instead of 500 KiB')
  })

  it('starts again from zero when the file changed between attempts (If-Range no longer matches)', async () => {
    const NEW = fakeImage(IMAGE.length + 4096, 'a newer release')
    server.fail('/a.img', {kind: 'drop', afterBytes: 600 * KiB, after: () => server.serve('/a.img', NEW)})
    const file = await download([server.url('/a.img')])
    expect(file.sha256).to.equal(sha256(NEW))
    expect(file.size).to.equal(NEW.length)
    expect((await readFile(partPath)).equals(NEW)).to.equal(true)
    const second = server.requests[1]!
    expect(second.range).to.equal(`bytes=${600 * KiB}-`)
    expect(second.status).to.equal(200) // the old ETag in If-Range did not match
    expect(logs.some((line) => line.includes('starting again from zero'))).to.equal(true)
  })

  it('starts again from zero when a server that ignores If-Range sends the rest of a new version (206 with another ETag)', async () => {
    const NEW = fakeImage(IMAGE.length, 'same size, new bytes')
    server.fail('/a.img', {kind: 'drop', afterBytes: 600 * KiB, after: () => server.serve('/a.img', NEW)}, {kind: 'ignore-if-range'})
    const file = await download([server.url('/a.img')])
    expect(file.sha256).to.equal(sha256(NEW))
    expect(server.requests.map((r) => r.status)).to.deep.equal([200, 206, 200])
    expect(logs.some((line) => line.includes('sent the rest of another version of the file; starting again from zero'))).to.equal(true)
  })

  it('retries a 500 and then succeeds', async () => {
    server.fail('/a.img', {kind: 'status', status: 500})
    const url = server.url('/a.img')
    const file = await download([url])
    expect(file.sha256).to.equal(sha256(IMAGE))
    expect(server.requests.map((r) => r.status)).to.deep.equal([500, 200])
    expect(logs).to.have.length(1)
    expect(logs[0]).to.match(new RegExp(`^${url}: HTTP 500 Internal Server Error; retrying in .* \\(attempt 2 of 3\\)$`))
  })

  it("honours a 503's Retry-After, capped at maxDelayMs", async () => {
    server.fail('/a.img', {kind: 'status', status: 503, headers: {'retry-after': '120'}})
    const started = Date.now()
    const file = await download([server.url('/a.img')], {retry: {attemptsPerUrl: 2, initialDelayMs: 10, maxDelayMs: 400}})
    const elapsed = Date.now() - started
    expect(file.sha256).to.equal(sha256(IMAGE))
    expect(elapsed).to.be.within(390, 2000)
    expect(logs[0]).to.contain('HTTP 503 Service Unavailable; retrying in 0.4 s')
  })

  it('moves on to the next mirror at once after a 404, without retrying it', async () => {
    server.serve('/mirror/a.img', IMAGE)
    const [missing, mirror] = [server.url('/gone/a.img'), server.url('/mirror/a.img')]
    const file = await download([missing, mirror])
    expect(file.url).to.equal(mirror)
    expect(file.sha256).to.equal(sha256(IMAGE))
    expect(server.requests.map((r) => [r.path, r.status])).to.deep.equal([
      ['/gone/a.img', 404],
      ['/mirror/a.img', 200],
    ])
    expect(logs).to.deep.equal([`${missing} failed: HTTP 404 Not Found; trying the next mirror, ${mirror}`])
  })

  it('resumes on a mirror without If-Range (its ETag is its own), then records the mirror', async () => {
    // The mirror has the same bytes under another ETag, as mirrors do.
    server.serve('/mirror/a.img', IMAGE, {etag: '"mirror-etag"'})
    server.fail('/a.img', {kind: 'drop', afterBytes: 400 * KiB}, ...Array(2).fill({kind: 'status', status: 502}))
    const mirror = server.url('/mirror/a.img')
    const file = await download([server.url('/a.img'), mirror])
    expect(file).to.include({url: mirror, sha256: sha256(IMAGE), fetchedBytes: IMAGE.length})
    const onMirror = server.requests.find((r) => r.path === '/mirror/a.img')!
    expect(onMirror).to.include({range: `bytes=${400 * KiB}-`, ifRange: undefined, status: 206})
    const state = JSON.parse(await readFile(statePath(partPath), 'utf8')) as Record<string, unknown>
    expect(state).to.include({url: mirror, totalBytes: IMAGE.length})
    expect(state.validator).to.deep.equal({etag: '"mirror-etag"'})
  })

  it('fails with every URL and its last error when all fail, keeps the part, and the next call resumes', async () => {
    server.fail('/a.img', {kind: 'drop', afterBytes: 500 * KiB}, ...Array(2).fill({kind: 'status', status: 500}))
    const [first, second] = [server.url('/a.img'), server.url('/gone.img')]
    const error = await rejection(() => download([first, second]))
    expect(error.code).to.equal('BOX_DOWNLOAD_FAILED')
    expect(error.message).to.equal(`Download of ${first} failed from all 2 URLs (the image and its mirrors).`)
    expect(error.detail).to.equal(
      `  ${first}: HTTP 500 Internal Server Error (3 attempts)\n  ${second}: HTTP 404 Not Found (1 attempt)`,
    )
    expect(error.hint).to.equal(
      'Check the network and the URLs above, then run the command again. ' +
        'The 500 KiB downloaded so far are kept; the next run resumes from there.',
    )
    expect(events).to.deep.equal([`start Downloading test ${IMAGE.length} 0`, `fail ${500 * KiB}`])
    expect((await stat(partPath)).size).to.equal(500 * KiB)
    expect(await exists(statePath(partPath))).to.equal(true)

    // The server is back: the next call asks only for the rest.
    const before = server.bytesSent()
    const file = await download([first, second])
    expect(file).to.include({sha256: sha256(IMAGE), resumedFrom: 500 * KiB, fetchedBytes: IMAGE.length - 500 * KiB})
    expect(server.bytesSent() - before).to.equal(IMAGE.length - 500 * KiB)
    expect(events[0]).to.equal(`start Downloading test ${IMAGE.length} ${500 * KiB}`)
  })

  it('names the URL and the error when a single URL fails, with the attempts in the detail', async () => {
    const url = server.url('/a.img')
    const port = new URL(url).port
    await server.close()
    const error = await rejection(() => download([url]))
    expect(error.code).to.equal('BOX_DOWNLOAD_FAILED')
    expect(error.message).to.equal(`Download of ${url} failed: connect ECONNREFUSED 127.0.0.1:${port}.`)
    expect(error.detail).to.equal('Gave up after 3 attempts.')
    expect(error.hint).to.equal('Check the network, then run the command again.')
    expect(logs).to.have.length(2)
    expect(await exists(partPath)).to.equal(false) // nothing arrived: nothing to resume, no litter
    expect(await exists(statePath(partPath))).to.equal(false)
    server = await startFlakyServer() // for afterEach
  })

  it('retries a stalled transfer after the stall timeout and resumes it', async () => {
    server.fail('/a.img', {kind: 'stall', afterBytes: 300 * KiB})
    const started = Date.now()
    const file = await download([server.url('/a.img')])
    expect(Date.now() - started).to.be.at.least(290)
    expect(file).to.include({sha256: sha256(IMAGE), fetchedBytes: IMAGE.length})
    expect(logs[0]).to.contain('the transfer stalled (no data for 0.3 s) at 300 KiB; resuming in')
  })

  it('retries when the server does not answer within the response timeout', async () => {
    server.fail('/a.img', {kind: 'hang'})
    const file = await download([server.url('/a.img')], {timeouts: {connectMs: 1000, responseMs: 200, stallMs: 300}})
    expect(file.sha256).to.equal(sha256(IMAGE))
    expect(logs[0]).to.contain('timed out waiting for the response (0.2 s); retrying in')
  })

  it('stops on the signal with an InterruptedError and keeps the part, which the next call resumes', async () => {
    server.fail('/a.img', {kind: 'trickle', chunkBytes: 32 * KiB, intervalMs: 20})
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 250)
    const error = await rejection(() => download([server.url('/a.img')], {signal: controller.signal}))
    expect(error.code).to.equal('INTERRUPTED')
    const kept = (await stat(partPath)).size
    expect(kept).to.be.within(64 * KiB, IMAGE.length - 1)
    expect(events.at(-1)).to.equal(`fail ${kept}`)

    const file = await download([server.url('/a.img')])
    expect(file).to.include({sha256: sha256(IMAGE), resumedFrom: kept, fetchedBytes: IMAGE.length - kept})
    expect(logs.at(-1)).to.match(/^Downloading test: resuming at .* of 1\.5 MiB from http/)
  })

  it('an aborted signal stops at once, before any request', async () => {
    const error = await rejection(() => download([server.url('/a.img')], {signal: AbortSignal.abort()}))
    expect(error.code).to.equal('INTERRUPTED')
    expect(server.requests).to.deep.equal([])
  })

  it('treats a 416 whose size equals the part as complete, without fetching anything', async () => {
    await download([server.url('/a.img')])
    // As if the last run died after the last byte and before the state knew the size.
    const state = JSON.parse(await readFile(statePath(partPath), 'utf8')) as Record<string, unknown>
    await writeFile(statePath(partPath), JSON.stringify({...state, totalBytes: undefined}))
    const file = await download([server.url('/a.img')])
    expect(file).to.include({sha256: sha256(IMAGE), fetchedBytes: 0, resumedFrom: IMAGE.length})
    expect(server.requests.slice(1).map((r) => [r.range, r.status])).to.deep.equal([[`bytes=${IMAGE.length}-`, 416]])
  })

  it('completes a part that already holds the known total size without a request', async () => {
    await download([server.url('/a.img')])
    const file = await download([server.url('/a.img')])
    expect(file).to.include({sha256: sha256(IMAGE), fetchedBytes: 0, resumedFrom: IMAGE.length})
    expect(server.requests).to.have.length(1)
  })

  it('starts from zero when the file on the server shrank below the part (416 with another size)', async () => {
    // A broken server: the file shrank and kept its ETag, so If-Range still matches.
    const sameEtag = `"${sha256(IMAGE).slice(0, 16)}"`
    server.fail('/a.img', {kind: 'drop', afterBytes: 900 * KiB, after: () => server.serve('/a.img', IMAGE.subarray(0, 800 * KiB), {etag: sameEtag})})
    const file = await download([server.url('/a.img')], {retry: {...FAST_RETRY, attemptsPerUrl: 2}})
    expect(file.size).to.equal(800 * KiB)
    expect(server.requests.map((r) => r.status)).to.deep.equal([200, 416, 200])
    expect(logs.some((line) => line.includes('has 800 KiB, the partial download 900 KiB; starting again from zero'))).to.equal(true)
  })

  it('uses Last-Modified for If-Range when there is no strong ETag', async () => {
    const lastModified = 'Tue, 03 Mar 2026 10:00:00 GMT'
    server.serve('/a.img', IMAGE, {etag: 'W/"weak"', lastModified})
    server.fail('/a.img', {kind: 'drop', afterBytes: 256 * KiB})
    const file = await download([server.url('/a.img')])
    expect(file.sha256).to.equal(sha256(IMAGE))
    expect(server.requests[1]).to.include({ifRange: lastModified, status: 206})
  })

  it('starts from zero when the state is missing, damaged, or from another URL list', async () => {
    const junk = Buffer.alloc(300 * KiB, 7)
    const url = server.url('/a.img')
    // A part without its state.
    await download([url]).then(() => writeFile(partPath, junk))
    await rm(statePath(partPath))
    expect((await download([url])).resumedFrom).to.equal(0)
    // A damaged state.
    await writeFile(partPath, junk)
    await writeFile(statePath(partPath), '{"version": 1, "urls": [')
    expect((await download([url])).resumedFrom).to.equal(0)
    // The state of another download.
    await writeFile(partPath, junk)
    await writeFile(statePath(partPath), JSON.stringify({version: 1, urls: [server.url('/b.img')], url: server.url('/b.img')}))
    const file = await download([url])
    expect(file).to.include({resumedFrom: 0, sha256: sha256(IMAGE), fetchedBytes: IMAGE.length})
    expect(server.requests.every((r) => r.range === undefined)).to.equal(true)
  })
})
