import {expect} from 'chai'

import {fetchText} from '../../../src/box/fetch.js'
import {parseLocation} from '../../../src/box/location.js'
import {startFlakyServer, type FlakyServer} from '../../helpers/flaky-server.js'
import {rejection} from './helpers.js'

const RETRY = {attemptsPerUrl: 3, initialDelayMs: 10, maxDelayMs: 50}
const TIMEOUTS = {connectMs: 1000, responseMs: 1000, stallMs: 300}
const SUMS = Buffer.from('abc *image.qcow2\n')

describe('box/fetch: fetchText', () => {
  let server: FlakyServer
  beforeEach(async () => {
    server = await startFlakyServer()
    server.serve('/SHA256SUMS', SUMS)
  })
  afterEach(() => server.close())

  const at = (path: string) => parseLocation(server.url(path))

  it('retries transient failures (503, a broken body) and returns the text', async () => {
    server.fail('/SHA256SUMS', {kind: 'status', status: 503}, {kind: 'drop', afterBytes: 4})
    const logs: string[] = []
    const text = await fetchText(at('/SHA256SUMS'), {retry: RETRY, timeouts: TIMEOUTS, log: (line) => logs.push(line)})
    expect(text).to.equal(SUMS.toString())
    expect(server.requests.map((r) => r.status)).to.deep.equal([503, 200, 200])
    expect(logs).to.have.length(2)
    expect(logs[0]).to.match(/: HTTP 503 Service Unavailable; retrying in .* \(attempt 2 of 3\)$/)
  })

  it('does not retry a 404, and gives up after the last attempt', async () => {
    const missing = await rejection(() => fetchText(at('/nope'), {retry: RETRY, timeouts: TIMEOUTS}))
    expect(missing.message).to.equal(`Fetching the checksum file ${server.url('/nope')} failed: HTTP 404 Not Found.`)
    expect(server.requests).to.have.length(1)

    server.fail('/SHA256SUMS', ...Array(3).fill({kind: 'status', status: 500}))
    const failed = await rejection(() => fetchText(at('/SHA256SUMS'), {retry: RETRY, timeouts: TIMEOUTS}))
    expect(failed.code).to.equal('BOX_DOWNLOAD_FAILED')
    expect(server.requests).to.have.length(4)
  })

  it('asks caches for a fresh copy unless fresh is false', async () => {
    await fetchText(at('/SHA256SUMS'), {retry: RETRY, timeouts: TIMEOUTS})
    await fetchText(at('/SHA256SUMS'), {retry: RETRY, timeouts: TIMEOUTS, fresh: false})
    expect(server.requests.map((r) => r.headers['cache-control'])).to.deep.equal(['no-cache', undefined])
  })
})
