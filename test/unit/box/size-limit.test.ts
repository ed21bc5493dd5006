import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {ensureBox} from '../../../src/box/cache.js'
import {copyHashing, downloadResumable} from '../../../src/box/download.js'
import {parseLocation} from '../../../src/box/location.js'
import type {ProgressReporter} from '../../../src/box/progress.js'
import {allowedSize, crossed, DEFAULT_MAX_BYTES, parseMaxBytes, sizeLimits, sizeProblem} from '../../../src/box/size-limit.js'
import {unpackImage} from '../../../src/box/unpack/index.js'
import {ExecaRunner} from '../../../src/exec/runner.js'
import {fakeImage, list, rejection, serve, sha256, startServer, tempHome, type TestServer} from './helpers.js'
import {makeDir, makeRaw, MiB, pythonTar, tempDir, toolToFile, tool} from './unpack/helpers.js'

const GiB = 1024 * MiB
const quiet: ProgressReporter = {start: () => undefined, update: () => undefined, finish: () => undefined}
const RETRY = {attemptsPerUrl: 1, initialDelayMs: 1, maxDelayMs: 1}
const runner = new ExecaRunner()

describe('box/size-limit: the rules (pure)', () => {
  it('VM_BOX_MAX_BYTES: bytes or a binary size; 64 GiB when unset; anything else is a usage error', () => {
    expect(parseMaxBytes(undefined)).to.equal(64 * GiB)
    expect(parseMaxBytes('')).to.equal(DEFAULT_MAX_BYTES)
    expect(parseMaxBytes('64MiB')).to.equal(64 * MiB)
    expect(parseMaxBytes('100G')).to.equal(100 * GiB)
    expect(parseMaxBytes('1048576')).to.equal(MiB)
    expect(sizeLimits({VM_BOX_MAX_BYTES: '64MiB'})).to.deep.equal({maxBytes: 64 * MiB, reserveBytes: 2 * GiB})
    for (const bad of ['lots', '0', '-5', '1.5', '64MB']) {
      let error: (Error & {code?: string; exitCode?: number; hint?: string}) | undefined
      try {
        parseMaxBytes(bad)
      } catch (caught) {
        error = caught as typeof error
      }
      expect(error?.code, bad).to.equal('BOX_LIMIT_INVALID')
      expect(error?.exitCode).to.equal(2)
      expect(error?.message).to.equal(`VM_BOX_MAX_BYTES=${JSON.stringify(bad)} is not a size.`)
    }
  })

  it('sizeProblem, allowedSize, crossed: the limit first, then the 2 GiB the file system keeps', () => {
    const limits = {maxBytes: 10 * GiB, reserveBytes: 2 * GiB}
    expect(sizeProblem(11 * GiB, 0, 100 * GiB, limits)).to.deep.equal({kind: 'too-large'})
    expect(sizeProblem(5 * GiB, 0, 6 * GiB, limits)).to.deep.equal({kind: 'no-space', freeBytes: 6 * GiB})
    expect(sizeProblem(5 * GiB, 0, 7 * GiB, limits)).to.equal(undefined) // exactly the reserve left
    expect(sizeProblem(5 * GiB, 4 * GiB, 3 * GiB, limits)).to.equal(undefined) // a resumed part needs only the rest
    expect(allowedSize(0, 100 * GiB, limits)).to.equal(10 * GiB)
    expect(allowedSize(1 * GiB, 5 * GiB, limits)).to.equal(4 * GiB)
    expect(allowedSize(1 * GiB, 1 * GiB, limits)).to.equal(1 * GiB) // never below what is there
    expect(crossed(10 * GiB + 1, 100 * GiB, limits)).to.deep.equal({kind: 'too-large'})
    expect(crossed(1 * GiB, 2 * GiB - 1, limits)).to.deep.equal({kind: 'no-space', freeBytes: 2 * GiB - 1})
    expect(crossed(1 * GiB, 2 * GiB, limits)).to.equal(undefined)
  })
})

describe('box size limits, against real files, tools and a server on 127.0.0.1', function () {
  this.timeout(60_000)
  let suite: {dir: string; remove(): Promise<void>}
  let bombs: {xz: string; gz: string; zst: string}
  let server: TestServer
  const small = {maxBytes: 64 * MiB, reserveBytes: 2 * GiB}

  before(async () => {
    suite = await tempDir('vm-size-test-')
    const dir = suite.dir
    // ~160 KB of xz that unpacks to 1 GiB of zeros (and the like in zstd and gzip).
    bombs = {xz: join(dir, 'bomb.raw.xz'), gz: join(dir, 'bomb.raw.gz'), zst: join(dir, 'bomb.raw.zst')}
    tool('sh', '-c', `head -c 1G /dev/zero | xz -T0 > '${bombs.xz}'`)
    tool('sh', '-c', `head -c 1G /dev/zero | zstd -q > '${bombs.zst}'`)
    tool('sh', '-c', `head -c 256M /dev/zero | gzip > '${bombs.gz}'`)
  })
  after(() => suite.remove())
  beforeEach(async () => {
    server = await startServer()
  })
  afterEach(() => server.close())

  for (const kind of ['xz', 'zst', 'gz'] as const) {
    it(`unpackImage stops a ${kind} layer that grows past the limit (well before the end), whatever its name says`, async () => {
      const workDir = await makeDir(join(suite.dir, `work-${kind}`))
      const started = Date.now()
      const error = await rejection(() => unpackImage(bombs[kind], workDir, {runner, label: 'bomb', limits: small}))
      expect(error.code, error.message).to.equal('BOX_TOO_LARGE')
      expect(error.message).to.match(/^Unpacking box bomb \(layer 1, (xz|zstd|gzip)\) was stopped at the size limit of 64 MiB\.$/)
      expect(String(error.hint)).to.contain('VM_BOX_MAX_BYTES')
      // Stopped while it ran: its output never came near the full size.
      const left = await list(workDir)
      for (const name of left) expect((await stat(join(workDir, name))).size).to.be.below(512 * MiB)
      expect(Date.now() - started).to.be.below(30_000)
    })
  }

  it('ensureBox with VM_BOX_MAX_BYTES=64MiB: a verified 160 KB xz that unpacks to 1 GiB leaves no partial output and no cache entry', async () => {
    const body = await readFile(bombs.xz)
    server.routes = {'/bomb.raw.xz': serve(body)}
    const {home, cleanup} = await tempHome()
    const before = process.env.VM_BOX_MAX_BYTES
    process.env.VM_BOX_MAX_BYTES = '64MiB'
    try {
      const request = {name: 'bomb', url: server.url('/bomb.raw.xz'), checksum: {algorithm: 'sha256' as const, digest: sha256(body)}, mirrors: []}
      const error = await rejection(() => ensureBox(request, {home, runner, progress: quiet, log: () => undefined, retry: RETRY}))
      expect(error.code, error.message).to.equal('BOX_TOO_LARGE')
      const root = join(home.cacheDir, 'boxes')
      expect(await list(join(root, 'sha256'))).to.deep.equal([])
      expect(await list(join(root, 'tmp'))).to.deep.equal([])
    } finally {
      if (before === undefined) delete process.env.VM_BOX_MAX_BYTES
      else process.env.VM_BOX_MAX_BYTES = before
      await cleanup()
    }
  })

  it('a bad VM_BOX_MAX_BYTES fails ensureBox before any request', async () => {
    const {home, cleanup} = await tempHome()
    const before = process.env.VM_BOX_MAX_BYTES
    process.env.VM_BOX_MAX_BYTES = 'plenty'
    try {
      const request = {name: 'x', url: server.url('/x.qcow2'), checksum: {algorithm: 'sha256' as const, digest: sha256('x')}, mirrors: []}
      const error = await rejection(() => ensureBox(request, {home, runner, progress: quiet, log: () => undefined, retry: RETRY}))
      expect(error.code).to.equal('BOX_LIMIT_INVALID')
      expect(server.requests).to.deep.equal([])
    } finally {
      if (before === undefined) delete process.env.VM_BOX_MAX_BYTES
      else process.env.VM_BOX_MAX_BYTES = before
      await cleanup()
    }
  })

  describe('downloads', () => {
    const body = fakeImage(3 * MiB)
    const limit = {maxBytes: 1 * MiB, reserveBytes: 0}
    let part: string
    beforeEach(async () => {
      part = join(await makeDir(join(suite.dir, `dl-${Math.random().toString(36).slice(2)}`)), 'x.part')
    })
    const fetch = (limits: {maxBytes: number; reserveBytes: number}) =>
      downloadResumable({urls: [server.url('/x.qcow2')], partPath: part, label: 'x', sha512: false, progress: quiet, retry: RETRY, limits})

    it('a Content-Length over the limit is refused before a byte is written', async () => {
      server.routes = {'/x.qcow2': serve(body)}
      const error = await rejection(() => fetch(limit))
      expect(error.code).to.equal('BOX_TOO_LARGE')
      expect(error.message).to.equal(`The download of ${server.url('/x.qcow2')} was stopped at the size limit of 1.0 MiB.`)
      expect(await list(join(part, '..'))).to.deep.equal([])
    })

    it('a body of unknown length stops at the limit, and the part is removed (it would only stop there again)', async () => {
      server.routes = {'/x.qcow2': (_req, res) => res.writeHead(200).end(body)} // chunked: no Content-Length
      const error = await rejection(() => fetch(limit))
      expect(error.code).to.equal('BOX_TOO_LARGE')
      expect(await list(join(part, '..'))).to.deep.equal([])
    })

    it('refuses to start when the file system would keep less than the reserve; stops a body of unknown length there', async () => {
      const hungry = {maxBytes: 64 * GiB, reserveBytes: 1024 * 1024 * GiB} // more than any disk has free
      server.routes = {'/x.qcow2': serve(body)}
      const known = await rejection(() => fetch(hungry))
      expect(known.code).to.equal('BOX_NO_SPACE')
      expect(known.message).to.match(/^The download of .* was stopped: it would leave less than 1024 TiB free in .* \(.* free\)\.$/)
      expect(String(known.hint)).to.contain('vm box prune')
      server.routes = {'/x.qcow2': (_req, res) => res.writeHead(200).end(body)}
      expect((await rejection(() => fetch(hungry))).code).to.equal('BOX_NO_SPACE')
    })

    it('a local file over the limit is refused before it is copied', async () => {
      const file = join(suite.dir, 'big.qcow2')
      await writeFile(file, body)
      const {home, cleanup} = await tempHome()
      try {
        const root = join(home.cacheDir, 'boxes')
        const error = await rejection(() => copyHashing(parseLocation(file), root, {label: 'x', sha512: false, progress: quiet, limits: limit}))
        expect(error.code).to.equal('BOX_TOO_LARGE')
        expect(error.message).to.equal(`Copying ${file} into the box cache was stopped at the size limit of 1.0 MiB.`)
        expect(await list(join(root, 'tmp'))).to.deep.equal([])
      } finally {
        await cleanup()
      }
    })
  })

  it("a tarball's disk whose header says it is over the limit is refused before it is extracted", async () => {
    const raw = join(suite.dir, 'disk.raw')
    await makeRaw(raw, {size: 4 * MiB})
    const archive = join(suite.dir, 'disk.tar')
    pythonTar(archive, [{name: 'disk.raw', data: {file: raw}}])
    const gz = join(suite.dir, 'disk.tar.gz')
    toolToFile(gz, 'gzip', '-c', archive)
    const workDir = await makeDir(join(suite.dir, 'work-tar'))
    const error = await rejection(() => unpackImage(gz, workDir, {runner, label: 'tarred', limits: {maxBytes: 2 * MiB, reserveBytes: 0}}))
    // The tar layer itself (4 MiB and headers) is over 2 MiB too: the gzip layer stops first.
    expect(error.code).to.equal('BOX_TOO_LARGE')
    const workDir2 = await makeDir(join(suite.dir, 'work-tar2'))
    const again = await rejection(() => unpackImage(archive, workDir2, {runner, label: 'tarred', limits: {maxBytes: 2 * MiB, reserveBytes: 0}}))
    expect(again.code).to.equal('BOX_TOO_LARGE')
    expect(again.message).to.equal('Unpacking box tarred (member "disk.raw" of the tarball) was stopped at the size limit of 2.0 MiB.')
    expect(await list(join(suite.dir, 'work-tar2'))).to.deep.equal([])
  })
})
