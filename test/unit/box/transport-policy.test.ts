import {expect} from 'chai'

import {ensureBox} from '../../../src/box/cache.js'
import {isLoopbackHost, judgeTransport, plainHttpRisk, transportOf} from '../../../src/box/transport-policy.js'
import type {BoxRequest} from '../../../src/box/types.js'
import type {Runner} from '../../../src/exec/runner.js'
import {rejection, tempHome} from './helpers.js'

const DIGEST = 'a'.repeat(64)

function request(url: string, checksum: BoxRequest['checksum'], mirrors: string[] = []): BoxRequest {
  return {name: 'box', url, checksum, mirrors}
}

const sums = (checksumUrl: string) => ({algorithm: 'sha256' as const, checksumUrl})

describe('box/transport-policy', () => {
  it('isLoopbackHost: 127.0.0.0/8, ::1 and localhost, nothing else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '127.255.255.255', '[::1]', 'localhost', 'LOCALHOST', 'localhost.']) {
      expect(isLoopbackHost(host), host).to.equal(true)
    }
    for (const host of ['128.0.0.1', '10.0.0.1', '192.168.122.1', '0.0.0.0', '[::2]', 'localhost.example.org', 'mylocalhost', '127.0.0.1.nip.io', '127.0.0.256']) {
      expect(isLoopbackHost(host), host).to.equal(false)
    }
  })

  it('transportOf: as WHATWG URL normalises the host (127.1 is 127.0.0.1)', () => {
    expect(transportOf('https://cloud.debian.org/x')).to.equal('https')
    expect(transportOf('http://127.1:8080/x')).to.equal('loopback')
    expect(transportOf('http://[::1]:8080/x')).to.equal('loopback')
    expect(transportOf('http://localhost/x')).to.equal('loopback')
    expect(transportOf('http://mirror.example/x')).to.equal('plain-http')
    expect(transportOf('file:///srv/x.qcow2')).to.equal('local')
    expect(transportOf('/srv/x.qcow2')).to.equal('local')
  })

  it('plainHttpRisk: only when the image (or a mirror) and the checksum file both cross a network over plain http', () => {
    expect(plainHttpRisk(request('http://a.example/x.img', sums('http://a.example/SHA256SUMS')))).to.equal(
      'its image http://a.example/x.img and its checksum file http://a.example/SHA256SUMS both come over plain http',
    )
    expect(plainHttpRisk(request('https://a.example/x.img', sums('http://a.example/SHA256SUMS'), ['http://b.example/x.img']))).to.contain(
      'its image http://b.example/x.img',
    )
    // Either side authenticated or local, or the digest pinned: nothing to say.
    expect(plainHttpRisk(request('http://a.example/x.img', sums('https://a.example/SHA256SUMS')))).to.equal(undefined)
    expect(plainHttpRisk(request('https://a.example/x.img', sums('http://a.example/SHA256SUMS')))).to.equal(undefined)
    expect(plainHttpRisk(request('http://a.example/x.img', sums('/srv/SHA256SUMS')))).to.equal(undefined)
    expect(plainHttpRisk(request('http://a.example/x.img', {algorithm: 'sha256', digest: DIGEST}))).to.equal(undefined)
    expect(plainHttpRisk(request('http://a.example/x.img', undefined))).to.equal(undefined)
    // The end-to-end tests: both on loopback.
    expect(plainHttpRisk(request('http://127.0.0.1:8000/x.img', sums('http://127.0.0.1:8000/SHA256SUMS')))).to.equal(undefined)
    expect(plainHttpRisk(request('http://localhost:8000/x.img', sums('http://[::1]:8000/SHA256SUMS')))).to.equal(undefined)
  })

  it('judgeTransport: refuses with what and what to do, or warns under --insecure', () => {
    const risky = request('http://a.example/x.img', sums('http://a.example/SHA256SUMS'))
    const refused = judgeTransport(risky)
    if (refused.action !== 'refuse') throw new Error(`expected a refusal, got ${refused.action}`)
    expect(refused.error.code).to.equal('BOX_INSECURE_TRANSPORT')
    expect(refused.error.exitCode).to.equal(2)
    expect(refused.error.message).to.equal(
      'Refusing to trust box box: its image http://a.example/x.img and its checksum file http://a.example/SHA256SUMS both come over plain http.',
    )
    expect(refused.error.hint).to.contain('https').and.to.contain('sha256:').and.to.contain('--insecure')
    const warned = judgeTransport(risky, true)
    expect(warned.action).to.equal('warn')
    expect(warned.action === 'warn' && warned.warning).to.match(/^Warning: box: its image .* proves nothing .*--insecure\.$/)
    expect(judgeTransport(request('https://a.example/x.img', sums('https://a.example/SHA256SUMS')))).to.deep.equal({action: 'go'})
  })

  it('ensureBox (the path of vm up) refuses before any transfer, and says nothing about the cache', async () => {
    const {home, cleanup} = await tempHome()
    try {
      const runner: Runner = {run: () => Promise.reject(new Error('no command may run'))}
      const progress = {start: () => undefined, update: () => undefined, finish: () => undefined}
      const risky = request('http://mirror.example/x.img', sums('http://mirror.example/SHA256SUMS'))
      const error = await rejection(() => ensureBox(risky, {home, runner, progress, log: () => undefined}))
      expect(error.code).to.equal('BOX_INSECURE_TRANSPORT')
    } finally {
      await cleanup()
    }
  })
})
