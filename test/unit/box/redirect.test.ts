import {join} from 'node:path'

import {expect} from 'chai'

import {ensureBox} from '../../../src/box/cache.js'
import {downloadResumable} from '../../../src/box/download.js'
import {fetchText} from '../../../src/box/fetch.js'
import {parseLocation} from '../../../src/box/location.js'
import type {ProgressReporter} from '../../../src/box/progress.js'
import {redirectRefusal} from '../../../src/box/redirect-policy.js'
import {ExecaRunner} from '../../../src/exec/runner.js'
import type {VmHome} from '../../../src/home.js'
import {fakeImage, list, makeCertificate, rejection, serve, sha256, startServer, tempHome, trustCertificate, type TestServer} from './helpers.js'

const quiet: ProgressReporter = {start: () => undefined, update: () => undefined, finish: () => undefined}
const RETRY = {attemptsPerUrl: 1, initialDelayMs: 10, maxDelayMs: 20}
const FAST = {connectMs: 2000, responseMs: 2000, stallMs: 1000}

describe('box/redirect-policy: redirectRefusal', () => {
  it('refuses https → http, wherever it leads', () => {
    expect(redirectRefusal('https://a.example/x.qcow2', 'http://a.example/x.qcow2')).to.equal(
      'it would fetch over plain http what was asked for over https',
    )
    expect(redirectRefusal('https://a.example/x', 'http://127.0.0.1:8080/x')).to.be.a('string')
  })

  it('lets a redirect keep https or raise http to https, and leaves http → http alone', () => {
    expect(redirectRefusal('https://a.example/x', 'https://mirror.example/x')).to.equal(undefined)
    expect(redirectRefusal('http://a.example/x', 'https://a.example/x')).to.equal(undefined)
    expect(redirectRefusal('http://a.example/x', 'http://mirror.example/x')).to.equal(undefined)
  })
})

describe('box transfers refuse a redirect from https down to http (real servers on 127.0.0.1)', () => {
  const certificate = makeCertificate()
  let secure: TestServer
  let plain: TestServer
  let untrust: () => void
  let home: VmHome
  let cleanup: () => Promise<void>
  const image = fakeImage(64 * 1024)

  beforeEach(async () => {
    untrust = trustCertificate(certificate)
    secure = await startServer({}, certificate)
    plain = await startServer({'/x.qcow2': serve(image), '/SHA256SUMS': serve(`${sha256(image)}  x.qcow2\n`)})
    ;({home, cleanup} = await tempHome())
  })
  afterEach(async () => {
    await secure.close()
    await plain.close()
    untrust()
    await cleanup()
  })

  it('still follows https → https (the test server is trusted)', async () => {
    secure.routes = {'/old/SHA256SUMS': redirect(secure.url('/SHA256SUMS')), '/SHA256SUMS': serve('ok\n')}
    expect(await fetchText(parseLocation(secure.url('/old/SHA256SUMS')), {retry: RETRY, timeouts: FAST})).to.equal('ok\n')
  })

  it('an image: ensureBox fails naming both URLs and what to do, asks the http server nothing, and caches nothing', async () => {
    secure.routes = {'/x.qcow2': redirect(plain.url('/x.qcow2'))}
    const url = secure.url('/x.qcow2')
    const error = await rejection(() =>
      ensureBox(
        {name: 'x', url, checksum: {algorithm: 'sha256', digest: sha256(image)}, mirrors: []},
        {home, runner: new ExecaRunner(), progress: quiet, log: () => undefined, retry: RETRY, timeouts: FAST},
      ),
    )
    expect(error.message).to.contain(`Refusing to follow the redirect from ${url} to ${plain.url('/x.qcow2')}`)
    expect(error.message).to.contain('plain http')
    expect(String(error.hint)).to.match(/https URL that stays on https/)
    expect(plain.requests).to.deep.equal([])
    const root = join(home.cacheDir, 'boxes')
    expect(await list(join(root, 'sha256'))).to.deep.equal([])
    expect(await list(join(root, 'tmp'))).to.deep.equal([])
  })

  it('a mirror that redirects down is skipped for the next one', async () => {
    secure.routes = {'/bad/x.qcow2': redirect(plain.url('/x.qcow2')), '/good/x.qcow2': serve(image)}
    const logs: string[] = []
    const file = await downloadResumable({
      urls: [secure.url('/bad/x.qcow2'), secure.url('/good/x.qcow2')],
      partPath: join(home.cacheDir, 'x.part'),
      label: 'x',
      sha512: false,
      progress: quiet,
      retry: RETRY,
      timeouts: FAST,
      log: (line) => logs.push(line),
    })
    expect(file.sha256).to.equal(sha256(image))
    expect(plain.requests).to.deep.equal([])
    expect(logs.join('\n')).to.contain('Refusing to follow the redirect')
  })

  it('a checksum file: the refusal is the error, not a retry or the offline fallback', async () => {
    secure.routes = {'/SHA256SUMS': redirect(plain.url('/SHA256SUMS'))}
    const error = await rejection(() => fetchText(parseLocation(secure.url('/SHA256SUMS')), {retry: {...RETRY, attemptsPerUrl: 3}, timeouts: FAST}))
    expect(error.code).to.equal('BOX_REDIRECT_REFUSED')
    expect(error.message).to.equal(
      `Refusing to follow the redirect from ${secure.url('/SHA256SUMS')} to ${plain.url('/SHA256SUMS')}: it would fetch over plain http what was asked for over https.`,
    )
    expect(secure.requests).to.deep.equal(['/SHA256SUMS'])
    expect(plain.requests).to.deep.equal([])
  })

  it('names the URL asked for when the downgrade comes further down a chain', async () => {
    secure.routes = {'/a': redirect(secure.url('/b')), '/b': redirect(plain.url('/SHA256SUMS'))}
    const error = await rejection(() => fetchText(parseLocation(secure.url('/a')), {retry: RETRY, timeouts: FAST}))
    expect(error.message).to.match(new RegExp(`^Refusing to follow the redirect from ${escape(secure.url('/b'))} to`))
    expect(error.detail).to.equal(`The request was for ${secure.url('/a')}.`)
  })
})

function redirect(location: string) {
  return serve('', {location}, 302)
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
