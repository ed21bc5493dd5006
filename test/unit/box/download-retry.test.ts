import {expect} from 'chai'
import {HTTPError, RequestError, TimeoutError} from 'got'

import {InterruptedError, VmError} from '../../../src/errors.js'
import {backoffDelay, formatDelay, judge, parseRetryAfter, sleep, TransientError} from '../../../src/box/retry.js'

const POLICY = {attemptsPerUrl: 5, initialDelayMs: 1000, maxDelayMs: 30_000}

/** A got HTTPError for `status` with just what judge() reads (got's constructor wants a live request). */
function httpError(statusCode: number, headers: Record<string, string> = {}): HTTPError {
  return Object.assign(Object.create(HTTPError.prototype) as HTTPError, {response: {statusCode, headers}})
}

describe('box/retry', () => {
  it('retries the statuses that mean "not now" and moves on for the others', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) expect(judge(httpError(status)).action, String(status)).to.equal('retry')
    for (const status of [400, 401, 403, 404, 410, 451, 501]) expect(judge(httpError(status)).action, String(status)).to.equal('next-url')
  })

  it('passes on Retry-After in seconds or as a date', () => {
    const now = Date.parse('2026-03-01T10:00:00Z')
    expect(judge(httpError(429, {'retry-after': '7'}), now)).to.deep.equal({action: 'retry', retryAfterMs: 7000})
    expect(judge(httpError(503, {'retry-after': 'Sun, 01 Mar 2026 10:00:30 GMT'}), now)).to.deep.equal({action: 'retry', retryAfterMs: 30_000})
    expect(parseRetryAfter('soon', now)).to.equal(undefined)
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).to.equal(0)
  })

  it('retries network failures and stalls, moves on from unknown hosts and TLS errors, stops on the disk and Ctrl-C', () => {
    const request = (code: string, name = 'RequestError') => Object.assign(Object.create(RequestError.prototype) as RequestError, {code, name})
    expect(judge(request('ECONNRESET')).action).to.equal('retry')
    expect(judge(request('ECONNREFUSED')).action).to.equal('retry')
    expect(judge(request('ESOMETHING', 'ReadError')).action).to.equal('retry')
    expect(judge(Object.create(TimeoutError.prototype) as TimeoutError).action).to.equal('retry')
    expect(judge(new TransientError('short body')).action).to.equal('retry')
    expect(judge(request('ENOTFOUND')).action).to.equal('next-url')
    expect(judge(request('CERT_HAS_EXPIRED')).action).to.equal('next-url')
    expect(judge(new VmError('disk full', {code: 'BOX_CACHE_WRITE_FAILED'})).action).to.equal('fatal')
    expect(judge(new InterruptedError()).action).to.equal('fatal')
  })

  it('doubles the delay from initialDelayMs up to the cap, with jitter between half and all of it', () => {
    const low = () => 0
    const high = () => 1
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, POLICY, undefined, high))).to.deep.equal([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ])
    expect([1, 2, 3].map((n) => backoffDelay(n, POLICY, undefined, low))).to.deep.equal([500, 1000, 2000])
    expect(backoffDelay(1, POLICY, 120_000)).to.equal(30_000) // Retry-After, capped
    expect(backoffDelay(4, POLICY, 2000)).to.equal(2000) // Retry-After wins over the doubling
  })

  it('sleeps, or stops at once when the signal fires', async () => {
    const started = Date.now()
    await sleep(30)
    expect(Date.now() - started).to.be.at.least(25)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 20)
    const error = await sleep(10_000, controller.signal).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(InterruptedError)
    expect(await sleep(10, AbortSignal.abort()).catch((e: unknown) => e)).to.be.instanceOf(InterruptedError)
  })

  it('formats waits for people', () => {
    expect(formatDelay(20)).to.equal('20 ms')
    expect(formatDelay(300)).to.equal('0.3 s')
    expect(formatDelay(2000)).to.equal('2 s')
    expect(formatDelay(30_000)).to.equal('30 s')
    expect(formatDelay(59_600)).to.equal('1 min')
    expect(formatDelay(90_000)).to.equal('1 min 30 s')
  })
})
