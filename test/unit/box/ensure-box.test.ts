import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'

import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'

import {ensureBox, type EnsureBoxOptions} from '../../../src/box/cache.js'
import {provideBox} from '../../../src/box/provide.js'
import {ExecaRunner} from '../../../src/exec/runner.js'
import {resolveLibvirtSettings} from '../../../src/libvirt/settings.js'
import {FakeVirsh} from './fake-virsh.js'
import type {ProgressReporter} from '../../../src/box/progress.js'
import type {BoxRequest} from '../../../src/box/types.js'
import {renderError} from '../../../src/errors.js'
import type {VmHome} from '../../../src/home.js'
import {list, makeQcow2, rejection, serve, sha256, sha512, startServer, tempHome, type TestServer} from './helpers.js'

const IMAGE = makeQcow2('16G')
const IMAGE_SHA256 = sha256(IMAGE)
const RETRY = {attemptsPerUrl: 2, initialDelayMs: 10, maxDelayMs: 20}
const runner = new ExecaRunner()
const FAST = {connectMs: 2000, responseMs: 2000, stallMs: 300}

/** Records what ensureBox tells the reporter. */
function recorder() {
  const events: string[] = []
  let last = 0
  const progress: ProgressReporter = {
    start: (label, total) => events.push(`start ${label} ${total}`),
    update: (bytes) => (last = bytes),
    finish: () => events.push(`finish ${last}`),
    fail: () => events.push(`fail ${last}`),
  }
  return {events, progress}
}

describe('box/cache: ensureBox (against a real HTTP server)', () => {
  let server: TestServer
  let home: VmHome
  let cleanup: () => Promise<void>
  let logs: string[]
  let clock: Date
  let options: () => EnsureBoxOptions
  let root: string

  beforeEach(async () => {
    server = await startServer()
    const temp = await tempHome()
    home = temp.home
    cleanup = temp.cleanup
    root = join(home.cacheDir, 'boxes')
    logs = []
    clock = new Date('2026-03-01T10:00:00.000Z')
    options = () => ({home, runner, retry: RETRY, progress: recorder().progress, log: (line) => logs.push(line), timeouts: FAST, now: () => clock})
  })

  afterEach(async () => {
    await server.close()
    await cleanup()
  })

  /** The cache holds exactly these sha256 entries, and no download in flight. */
  async function expectCache(entries: string[]) {
    expect(await list(join(root, 'sha256'))).to.deep.equal(entries)
    expect(await list(join(root, 'tmp'))).to.deep.equal([])
  }

  it('downloads, verifies and records a pinned sha256, then serves it from the cache without a request', async () => {
    server.routes = {'/img/test.qcow2': serve(IMAGE)}
    const url = server.url('/img/test.qcow2')
    const request: BoxRequest = {name: 'test', url, checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}
    const {events, progress} = recorder()

    const first = await ensureBox(request, {...options(), progress})
    const dir = join(root, 'sha256', IMAGE_SHA256)
    expect([first.fromCache, first.fetchedBytes, first.entry.imagePath]).to.deep.equal([false, IMAGE.length, join(dir, 'image')])
    expect((await readFile(first.entry.imagePath!)).equals(IMAGE)).to.equal(true)
    expect(JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'))).to.deep.equal({
      sha256: IMAGE_SHA256,
      size: IMAGE.length,
      imageSize: IMAGE.length,
      virtualSize: 16 * 2 ** 30,
      format: 'qcow2',
      url,
      name: 'test',
      fetchedAt: '2026-03-01T10:00:00.000Z',
      lastUsedAt: '2026-03-01T10:00:00.000Z',
    })
    expect(events).to.deep.equal([`start Downloading test ${IMAGE.length}`, `finish ${IMAGE.length}`])
    await expectCache([IMAGE_SHA256])

    clock = new Date('2026-03-02T08:30:00.000Z')
    const second = await ensureBox(request, options())
    expect([second.fromCache, second.fetchedBytes, second.entry.imagePath]).to.deep.equal([true, 0, first.entry.imagePath])
    expect(server.requests).to.deep.equal(['/img/test.qcow2'])
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Record<string, string>
    expect([meta.fetchedAt, meta.lastUsedAt]).to.deep.equal(['2026-03-01T10:00:00.000Z', '2026-03-02T08:30:00.000Z'])
  })

  it('verifies a sha512 from a Debian-style SHA512SUMS and records both digests', async () => {
    const name = 'debian-12-genericcloud-amd64.qcow2'
    const sums = `${sha512('other')}  debian-12-genericcloud-arm64.qcow2\n${sha512(IMAGE)}  ${name}\n`
    server.routes = {'/latest/SHA512SUMS': serve(sums), [`/latest/${name}`]: serve(IMAGE)}
    const url = server.url(`/latest/${name}`)
    const request: BoxRequest = {
      name: 'debian-12',
      url,
      checksum: {algorithm: 'sha512', checksumUrl: server.url('/latest/SHA512SUMS')},
      osId: 'debian12',
      mirrors: [],
    }

    const box = await ensureBox(request, options())
    expect(box.fromCache).to.equal(false)
    const meta = JSON.parse(await readFile(join(root, 'sha256', IMAGE_SHA256, 'meta.json'), 'utf8')) as Record<string, unknown>
    expect(meta.sha256).to.equal(IMAGE_SHA256)
    expect(meta.sha512).to.equal(sha512(IMAGE))

    // The checksum file is read again every time (a new "latest" must be noticed); the image is not.
    expect((await ensureBox(request, options())).fromCache).to.equal(true)
    expect(server.requests).to.deep.equal(['/latest/SHA512SUMS', `/latest/${name}`, '/latest/SHA512SUMS'])
    await expectCache([IMAGE_SHA256])
  })

  it('verifies a sha256 from an Ubuntu-style SHA256SUMS, asking caches for a fresh copy', async () => {
    const name = 'ubuntu-24.04-server-cloudimg-amd64.img'
    let cacheControl: string | undefined
    server.routes = {
      '/release/SHA256SUMS': (req, res) => {
        cacheControl = req.headers['cache-control']
        serve(`${sha256('x')} *ubuntu-24.04-server-cloudimg-arm64.img\n${IMAGE_SHA256} *${name}\n`)(req, res)
      },
      [`/release/${name}`]: serve(IMAGE),
    }
    const box = await ensureBox(
      {name: 'ubuntu-24.04', url: server.url(`/release/${name}`), checksum: {algorithm: 'sha256', checksumUrl: server.url('/release/SHA256SUMS')}, mirrors: []},
      options(),
    )
    expect(box.entry.meta.sha256).to.equal(IMAGE_SHA256)
    expect(cacheControl).to.equal('no-cache')
    await expectCache([IMAGE_SHA256])
  })

  it('follows redirects to a mirror', async () => {
    server.routes = {
      '/latest/a.qcow2': (_req, res) => res.writeHead(302, {location: '/mirror/a.qcow2'}).end(),
      '/mirror/a.qcow2': serve(IMAGE),
    }
    const box = await ensureBox({name: 'a', url: server.url('/latest/a.qcow2'), checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}, options())
    expect(box.entry.meta.size).to.equal(IMAGE.length)
    expect(server.requests).to.deep.equal(['/latest/a.qcow2', '/mirror/a.qcow2'])
  })

  it('rejects a checksum mismatch and leaves nothing in the cache', async () => {
    server.routes = {'/a.qcow2': serve(IMAGE)}
    const url = server.url('/a.qcow2')
    const wrong = sha256('something else')
    const {events, progress} = recorder()
    const error = await rejection(() => ensureBox({name: 'a', url, checksum: {algorithm: 'sha256', digest: wrong}, mirrors: []}, {...options(), progress}))
    expect(error.code).to.equal('BOX_CHECKSUM_MISMATCH')
    expect(error.message).to.equal(`The image downloaded from ${url} does not match its sha256 checksum.`)
    expect(error.detail).to.equal(`url      ${url}\nexpected ${wrong}\nactual   ${IMAGE_SHA256}`)
    expect(renderError(error as never)).to.contain(url).and.to.contain(wrong).and.to.contain(IMAGE_SHA256)
    expect(events).to.deep.equal([`start Downloading a ${IMAGE.length}`, `finish ${IMAGE.length}`])
    await expectCache([])
  })

  it('on a mismatch reads the checksum file once more, fresh: a stale SHA256SUMS does not fail a good image', async () => {
    let reads = 0
    server.routes = {
      // A proxy's stale copy first, the real file the second time.
      '/SHA256SUMS': (req, res) => serve(`${reads++ === 0 ? sha256('old image') : IMAGE_SHA256} *a.img\n`)(req, res),
      '/a.img': serve(IMAGE),
    }
    const box = await ensureBox({name: 'a', url: server.url('/a.img'), checksum: {algorithm: 'sha256', checksumUrl: server.url('/SHA256SUMS')}, mirrors: []}, options())
    expect(box.entry.meta.sha256).to.equal(IMAGE_SHA256)
    expect(server.requests).to.deep.equal(['/SHA256SUMS', '/a.img', '/SHA256SUMS'])
    expect(logs.join('\n')).to.match(/had changed since it was first read/)
    await expectCache([IMAGE_SHA256])
  })

  it('refuses an image with a backing file after verifying it, leaving nothing in the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-hostile-'))
    try {
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', '/etc/shadow', join(dir, 'evil.qcow2'), '1G'])
      const evil = readFileSync(join(dir, 'evil.qcow2'))
      server.routes = {'/evil.qcow2': serve(evil)}
      const error = await rejection(() => ensureBox({name: 'evil', url: server.url('/evil.qcow2'), checksum: {algorithm: 'sha256', digest: sha256(evil)}, mirrors: []}, options()))
      expect(error.code).to.equal('BOX_IMAGE_REJECTED')
      expect(error.message).to.match(/^Box evil was refused: .*backing file/)
      await expectCache([])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('reports an HTTP error with the URL and the status', async () => {
    const url = server.url('/gone.qcow2')
    const error = await rejection(() => ensureBox({name: 'gone', url, checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}, options()))
    expect(error.code).to.equal('BOX_DOWNLOAD_FAILED')
    expect(error.message).to.equal(`Download of ${url} failed: HTTP 404 Not Found.`)
    await expectCache([])
  })

  it('reports a refused connection with the URL', async () => {
    const url = server.url('/a.qcow2')
    const port = new URL(url).port
    await server.close()
    const error = await rejection(() => ensureBox({name: 'a', url, checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}, options()))
    expect(error.code).to.equal('BOX_DOWNLOAD_FAILED')
    expect(error.message).to.equal(`Download of ${url} failed: connect ECONNREFUSED 127.0.0.1:${port}.`)
    expect(error.hint).to.equal('Check the network, then run the command again.')
    await expectCache([])
  })

  it('fails when the checksum file does not list the image', async () => {
    server.routes = {'/SHA256SUMS': serve(`${IMAGE_SHA256} *other.img\n`), '/a.img': serve(IMAGE)}
    const error = await rejection(() =>
      ensureBox({name: 'a', url: server.url('/a.img'), checksum: {algorithm: 'sha256', checksumUrl: server.url('/SHA256SUMS')}, mirrors: []}, options()),
    )
    expect(error.code).to.equal('BOX_CHECKSUM_MISSING')
    expect(error.message).to.equal(`The checksum file ${server.url('/SHA256SUMS')} does not list a.img.`)
    expect(server.requests).to.deep.equal(['/SHA256SUMS'])
  })

  it('keeps what arrived when the connection keeps dropping, and the next call resumes from there', async () => {
    server.routes = {
      '/a.qcow2': (_req, res) => {
        res.writeHead(200, {'content-length': String(IMAGE.length)})
        res.write(IMAGE.subarray(0, 64 * 1024), () => setTimeout(() => res.socket?.destroy(), 20))
      },
    }
    const url = server.url('/a.qcow2')
    const {events, progress} = recorder()
    const error = await rejection(() => ensureBox({name: 'a', url, checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}, {...options(), progress}))
    expect(error.code).to.equal('BOX_DOWNLOAD_FAILED')
    expect(error.message).to.equal(`Download of ${url} failed: the connection broke off during the transfer (ECONNRESET).`)
    expect(events[0]).to.equal(`start Downloading a ${IMAGE.length}`)
    expect(await list(join(root, 'tmp'))).to.have.length(2) // the part file and its resume state
    server.routes = {'/a.qcow2': serve(IMAGE, {'accept-ranges': 'bytes'})}
    const resumed = await ensureBox({name: 'a', url, checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}, options())
    expect(resumed.entry.meta.sha256).to.equal(IMAGE_SHA256)
    await expectCache([IMAGE_SHA256])
  })

  it('gives up on a stalled transfer after the stall timeout', async () => {
    server.routes = {
      '/a.qcow2': (_req, res) => {
        res.writeHead(200, {'content-length': String(IMAGE.length)})
        res.write(IMAGE.subarray(0, 1024)) // then nothing, with the connection open
      },
    }
    const url = server.url('/a.qcow2')
    const started = Date.now()
    const error = await rejection(() => ensureBox({name: 'a', url, checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}, options()))
    const elapsed = Date.now() - started
    expect(error.code).to.equal('BOX_DOWNLOAD_FAILED')
    expect(error.message).to.equal(`Download of ${url} failed: the transfer stalled (no data for 0.3 s).`)
    expect(elapsed).to.be.within(250, 5000) // the 30 s default would time the test out
    expect(await list(join(root, 'sha256'))).to.deep.equal([])
    expect(await list(join(root, 'tmp'))).to.have.length(2) // kept for the next attempt
  })

  it('does not limit the whole transfer: a slow but steady body longer than the stall timeout succeeds', async () => {
    server.routes = {
      '/slow.qcow2': (_req, res) => {
        res.writeHead(200, {'content-length': String(IMAGE.length)})
        const pieces = 8
        const step = Math.ceil(IMAGE.length / pieces)
        let sent = 0
        const timer = setInterval(() => {
          res.write(IMAGE.subarray(sent, sent + step))
          sent += step
          if (sent >= IMAGE.length) {
            clearInterval(timer)
            res.end()
          }
        }, 100) // 8 × 100 ms = 0.8 s in all, well over the 0.3 s stall timeout
      },
    }
    const box = await ensureBox({name: 'slow', url: server.url('/slow.qcow2'), checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}, options())
    expect(box.entry.meta.sha256).to.equal(IMAGE_SHA256)
  })

  it('stops at once and cleans up when the signal fires', async () => {
    server.routes = {
      '/a.qcow2': (_req, res) => {
        res.writeHead(200, {'content-length': String(IMAGE.length)})
        res.write(IMAGE.subarray(0, 1024))
      },
    }
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const error = await rejection(() =>
      ensureBox({name: 'a', url: server.url('/a.qcow2'), checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}, {
        ...options(),
        timeouts: {connectMs: 5000, responseMs: 5000, stallMs: 5000},
        signal: controller.signal,
      }),
    )
    expect(error.code).to.equal('INTERRUPTED')
    // Ctrl-C keeps the bytes that arrived, for the next attempt to resume.
    expect(await list(join(root, 'sha256'))).to.deep.equal([])
    expect(await list(join(root, 'tmp'))).to.have.length(2)
  })

  it('copies a file:// URL and a local path through the same verified path', async () => {
    const source = join(home.dataDir, '..', 'local image.qcow2')
    await writeFile(source, IMAGE)
    const viaUrl = await ensureBox(
      {name: 'local', url: pathToFileURL(source).href, checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []},
      options(),
    )
    expect([viaUrl.entry.meta.sha256, viaUrl.entry.imagePath, viaUrl.fromCache]).to.deep.equal([IMAGE_SHA256, join(root, 'sha256', IMAGE_SHA256, 'image'), false])
    // No checksum: a local file is hashed and accepted; it lands on the same entry.
    const viaPath = await ensureBox({name: 'local', url: source, checksum: undefined, mirrors: []}, options())
    expect([viaPath.entry.meta.sha256, viaPath.entry.imagePath]).to.deep.equal([IMAGE_SHA256, viaUrl.entry.imagePath])
    expect(server.requests).to.deep.equal([])
    await expectCache([IMAGE_SHA256])

    const missing = await rejection(() => ensureBox({name: 'x', url: join(source, '..', 'nope.qcow2'), checksum: undefined, mirrors: []}, options()))
    expect(missing.code).to.equal('BOX_FILE_UNREADABLE')
    expect(missing.message).to.equal(`Cannot read the box image ${join(source, '..', 'nope.qcow2')}: no such file.`)
    await expectCache([IMAGE_SHA256])
  })

  it('verifies a local image against a local BSD-style checksum file', async () => {
    const dir = join(home.dataDir, '..')
    const image = join(dir, 'Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2')
    await writeFile(image, IMAGE)
    await writeFile(join(dir, 'CHECKSUM'), `# x: 1 bytes\nSHA256 (Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2) = ${IMAGE_SHA256}\n`)
    const checksumUrl = pathToFileURL(join(dir, 'CHECKSUM')).href
    const box = await ensureBox({name: 'fedora', url: image, checksum: {algorithm: 'sha256', checksumUrl}, mirrors: []}, options())
    expect(box.entry.meta.sha256).to.equal(IMAGE_SHA256)
    // Without its checksum file an image never cached from this location is refused.
    const other = join(dir, 'other.qcow2')
    await writeFile(other, IMAGE)
    const gone = {algorithm: 'sha256', checksumUrl: `${checksumUrl}.gone`} as const
    const missing = await rejection(() => ensureBox({name: 'f', url: other, checksum: gone, mirrors: []}, options()))
    expect(missing.code).to.equal('BOX_FILE_UNREADABLE')
    expect(missing.message).to.equal(`Cannot read the checksum file ${join(dir, 'CHECKSUM.gone')}: no such file.`)
    expect(logs).to.deep.equal([])
  })

  it('refuses an http image without a checksum before any request', async () => {
    const url = server.url('/a.qcow2')
    const error = await rejection(() => ensureBox({name: 'a', url, checksum: undefined, mirrors: []}, options()))
    expect(error.code).to.equal('BOX_UNVERIFIED')
    expect(error.message).to.equal(`Refusing to download ${url} without a checksum.`)
    expect(server.requests).to.deep.equal([])
  })

  it('falls back to the newest cached image for the URL when the checksum file cannot be fetched', async () => {
    const name = 'ubuntu-24.04-server-cloudimg-amd64.img'
    const older = makeQcow2('8G')
    const request = (): BoxRequest => ({
      name: 'ubuntu-24.04',
      url: server.url(`/release/${name}`),
      checksum: {algorithm: 'sha256', checksumUrl: server.url('/release/SHA256SUMS')},
      mirrors: [],
    })
    // Two releases cached from the same URL, the newer one second.
    server.routes = {'/release/SHA256SUMS': serve(`${sha256(older)} *${name}\n`), [`/release/${name}`]: serve(older)}
    await ensureBox(request(), options())
    clock = new Date('2026-04-01T00:00:00.000Z')
    server.routes = {'/release/SHA256SUMS': serve(`${IMAGE_SHA256} *${name}\n`), [`/release/${name}`]: serve(IMAGE)}
    await ensureBox(request(), options())
    expect(server.requests).to.have.length(4)

    // Offline: the checksum file fails.
    server.routes = {'/release/SHA256SUMS': (_req, res) => res.writeHead(503).end()}
    clock = new Date('2026-04-02T00:00:00.000Z')
    const box = await ensureBox(request(), options())
    expect([box.entry.meta.sha256, box.fromCache]).to.deep.equal([IMAGE_SHA256, true])
    expect(logs.at(-1)).to.equal(
      `Warning: Fetching the checksum file ${server.url('/release/SHA256SUMS')} failed: HTTP 503 Service Unavailable. ` +
        'Using the copy of ubuntu-24.04 cached on 2026-04-01 without checking for a newer image.',
    )
    // Tried again (a 503 is transient), then given up for the cached copy.
    expect(server.requests.slice(4)).to.deep.equal(['/release/SHA256SUMS', '/release/SHA256SUMS'])
  })

  it('fails when the checksum file cannot be fetched and nothing is cached', async () => {
    const error = await rejection(() =>
      ensureBox({name: 'a', url: server.url('/a.img'), checksum: {algorithm: 'sha256', checksumUrl: server.url('/SHA256SUMS')}, mirrors: []}, options()),
    )
    expect(error.code).to.equal('BOX_DOWNLOAD_FAILED')
    expect(error.message).to.equal(`Fetching the checksum file ${server.url('/SHA256SUMS')} failed: HTTP 404 Not Found.`)
    expect(logs).to.deep.equal([])
  })

  it('two processes providing one box download it once: the second waits on the lock, then finds it', async () => {
    server.routes = {'/a.qcow2': serve(IMAGE)}
    const virsh = new FakeVirsh()
    virsh.addPool('vmfile')
    const libvirt = {...resolveLibvirtSettings({}, '/home/u'), uri: virsh.uri}
    const request: BoxRequest = {name: 'a', url: server.url('/a.qcow2'), checksum: {algorithm: 'sha256', digest: IMAGE_SHA256}, mirrors: []}
    const provide = () => provideBox(request, {...options(), virsh: virsh.asVirsh(), libvirt})
    const [one, two] = await Promise.all([provide(), provide()])
    expect(server.requests).to.deep.equal(['/a.qcow2'])
    expect([one.fromCache, two.fromCache].sort()).to.deep.equal([false, true])
    expect(one.volume).to.equal(`${IMAGE_SHA256}.qcow2`)
    expect(virsh.calls.filter((call) => call.startsWith('upload'))).to.have.length(1)
    expect(logs).to.include('Waiting for another vm process that is fetching a...')
    await expectCache([IMAGE_SHA256])
  })
})
