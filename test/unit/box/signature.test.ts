import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {readdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {ensureBox, type EnsureBoxOptions} from '../../../src/box/cache.js'
import {CATALOG_DIR, loadCatalog} from '../../../src/box/catalog.js'
import type {ProgressReporter} from '../../../src/box/progress.js'
import {gpgvArgs, judgeGpgvStatus, sqopArgs} from '../../../src/box/signature.js'
import type {BoxRequest, ChecksumSignature} from '../../../src/box/types.js'
import {ExecaRunner, ToolNotInstalledError, type Runner} from '../../../src/exec/runner.js'
import type {VmHome} from '../../../src/home.js'
import {list, makeQcow2, rejection, serve, sha256, startServer, tempHome, type TestServer} from './helpers.js'

/*
 * Signed checksum files, end to end: a throw-away key made here with sqop (no agent, no keyring
 * outside the temp folder), files signed with it and served on 127.0.0.1, checked by the real
 * gpgv (or sqop) that ensureBox runs.
 */

/** gpgv's status lines for the cases, as gpgv 2.2.40 printed them. */
const GOOD = `[GNUPG:] NEWSIG
[GNUPG:] KEY_CONSIDERED B2C2E89B7F6AE9FF2290523B5121D2E183E55AE6 0
[GNUPG:] SIG_ID 26b14lqANZ3vbSv/gGpT3xNwNBU 2026-12-07 1796621958
[GNUPG:] GOODSIG A1778FE7A2AF5D85 Test <t@example.org>
[GNUPG:] VALIDSIG CDB6592F4FA4283397FE4231A1778FE7A2AF5D85 2026-12-07 1796621958 0 4 0 22 10 00 B2C2E89B7F6AE9FF2290523B5121D2E183E55AE6
`
const UNKNOWN_KEY = `[GNUPG:] NEWSIG
[GNUPG:] ERRSIG 53D255BAE93C9B2F 22 10 00 1796621966 9 89EC27DE5B8A84FDC4153B5C53D255BAE93C9B2F
[GNUPG:] NO_PUBKEY 53D255BAE93C9B2F
`
const BAD = `[GNUPG:] NEWSIG
[GNUPG:] KEY_CONSIDERED B2C2E89B7F6AE9FF2290523B5121D2E183E55AE6 0
[GNUPG:] BADSIG A1778FE7A2AF5D85 Test <t@example.org>
`

describe('box/signature: what gpgv and sqop are asked and what their answers mean', () => {
  it('gpgv: the key file as the only keyring, status on fd 1, the signed text of a clear-signed file to a file', () => {
    expect(gpgvArgs('/k.gpg', {kind: 'detached', signature: '/t/sig', data: '/t/sums'}, '/t/home')).to.deep.equal([
      '--homedir', '/t/home', '--status-fd', '1', '--keyring', '/k.gpg', '--', '/t/sig', '/t/sums',
    ])
    expect(gpgvArgs('/k.gpg', {kind: 'inline', file: '/t/sums', output: '/t/signed'}, '/t/home')).to.deep.equal([
      '--homedir', '/t/home', '--status-fd', '1', '--keyring', '/k.gpg', '--output', '/t/signed', '--', '/t/sums',
    ])
    expect(sqopArgs('/k.gpg', {kind: 'detached', signature: '/t/sig', data: '/t/sums'})).to.deep.equal(['verify', '--', '/t/sig', '/k.gpg'])
    expect(sqopArgs('/k.gpg', {kind: 'inline', file: '/t/sums', output: '/t/signed'})).to.deep.equal(['inline-verify', '--', '/k.gpg'])
  })

  it('judgeGpgvStatus: good, a good one beside one by an unknown key (Ubuntu signs twice), bad, another key, none', () => {
    expect(judgeGpgvStatus(GOOD)).to.deep.equal({ok: true, fingerprint: 'B2C2E89B7F6AE9FF2290523B5121D2E183E55AE6'})
    expect(judgeGpgvStatus(UNKNOWN_KEY + GOOD).ok).to.equal(true)
    expect(judgeGpgvStatus(GOOD + BAD)).to.deep.equal({ok: false, reason: "does not match the file's content: the file was changed after key A1778FE7A2AF5D85 signed it"})
    expect(judgeGpgvStatus(UNKNOWN_KEY)).to.deep.equal({ok: false, reason: 'was made by another key (53D255BAE93C9B2F)'})
    expect(judgeGpgvStatus('[GNUPG:] NODATA 1\n')).to.deep.equal({ok: false, reason: 'is missing: the file holds no OpenPGP signature'})
    expect(judgeGpgvStatus('[GNUPG:] NEWSIG\n[GNUPG:] EXPKEYSIG A1778FE7A2AF5D85 Test\n[GNUPG:] VALIDSIG X 2026 1 0 4 0 22 10 00 Y\n').ok).to.equal(false)
    expect(judgeGpgvStatus('[GNUPG:] NEWSIG\n[GNUPG:] REVKEYSIG A1778FE7A2AF5D85 Test\n').ok).to.equal(false)
  })
})

describe('box catalog: the keys its signatures name', () => {
  it("every key an entry names is shipped in boxes/keys/, and README.md gives each file's provenance and sha256", async () => {
    const keys = new Set<string>()
    for (const entry of await loadCatalog()) {
      for (const image of Object.values(entry.images)) {
        const checksum = image.checksum
        if ('signature' in checksum && checksum.signature) keys.add(checksum.signature.key)
      }
    }
    expect([...keys].map((key) => key.slice(join(CATALOG_DIR, 'keys').length + 1)).sort()).to.deep.equal(['fedora-44-primary.gpg', 'ubuntu-cloudimage-keyring.gpg'])
    const readme = readFileSync(join(CATALOG_DIR, 'keys', 'README.md'), 'utf8')
    for (const file of await readdir(join(CATALOG_DIR, 'keys'))) {
      if (file === 'README.md') continue
      expect(readme, `boxes/keys/README.md must give the provenance of ${file}`).to.contain(`${sha256(readFileSync(join(CATALOG_DIR, 'keys', file)))}  ${file}`)
    }
  })
})

/** A throw-away OpenPGP key: its secret (armoured, for signing) and its certificate (binary, as shipped keys are). */
type TestKey = {readonly secret: string; readonly cert: string}

function sqop(args: string[], input?: string | Buffer): Buffer {
  try {
    return execFileSync('sqop', args, {input, stdio: ['pipe', 'pipe', 'pipe']})
  } catch (error) {
    throw new Error(`sqop ${args[0]} failed (${(error as Error).message}); this test needs: apt-get install sqop`)
  }
}

function makeKey(dir: string, name: string): TestKey {
  const secret = join(dir, `${name}.key`)
  writeFileSync(secret, sqop(['generate-key', `${name} <${name}@example.org>`]))
  const cert = join(dir, `${name}.gpg`)
  writeFileSync(cert, sqop(['extract-cert', '--no-armor'], readFileSync(secret)))
  return {secret, cert}
}

const detachedSign = (key: TestKey, data: string) => sqop(['sign', '--no-armor', key.secret], data)
const clearSign = (key: TestKey, data: string) => sqop(['inline-sign', '--as=clearsigned', key.secret], data).toString('utf8')

/** Runs everything for real, except that the named tools are "not installed". */
class MissingTools implements Runner {
  private readonly inner = new ExecaRunner()
  constructor(private readonly missing: readonly string[]) {}
  run(file: string, args: readonly string[], options?: Parameters<Runner['run']>[2]) {
    if (this.missing.includes(file)) return Promise.reject(new ToolNotInstalledError(file))
    return this.inner.run(file, args, options)
  }
}

describe('box/cache: ensureBox with signed checksum files (throw-away keys, real gpgv and sqop)', function () {
  this.timeout(30_000)
  const IMAGE = makeQcow2('1G')
  const NAME = 'ubuntu-24.04-server-cloudimg-amd64.img'
  const SUMS = `${sha256('other')} *ubuntu-24.04-server-cloudimg-arm64.img\n${sha256(IMAGE)} *${NAME}\n`
  const quiet: ProgressReporter = {start: () => undefined, update: () => undefined, finish: () => undefined}
  let keyDir: string
  let key: TestKey
  let other: TestKey
  let server: TestServer
  let home: VmHome
  let cleanup: () => Promise<void>
  let logs: string[]

  before(() => {
    keyDir = mkdtempSync(join(tmpdir(), 'vm-keys-'))
    key = makeKey(keyDir, 'distro')
    other = makeKey(keyDir, 'mallory')
  })
  after(() => rmSync(keyDir, {recursive: true, force: true}))
  beforeEach(async () => {
    server = await startServer()
    ;({home, cleanup} = await tempHome())
    logs = []
  })
  afterEach(async () => {
    await server.close()
    await cleanup()
  })

  const options = (runner: Runner = new ExecaRunner()): EnsureBoxOptions => ({home, runner, progress: quiet, log: (line) => logs.push(line), retry: {attemptsPerUrl: 1, initialDelayMs: 1, maxDelayMs: 1}})
  const request = (checksumFile: string, signature: ChecksumSignature): BoxRequest => ({
    name: 'ubuntu-24.04',
    url: server.url(`/release/${NAME}`),
    checksum: {algorithm: 'sha256', checksumUrl: server.url(`/release/${checksumFile}`), signature},
    mirrors: [],
  })
  const detached = (certificate: string) => ({url: server.url('/release/SHA256SUMS.gpg'), key: certificate})
  const root = () => join(home.cacheDir, 'boxes')

  /** Ubuntu's layout: SHA256SUMS, its detached signature SHA256SUMS.gpg, the image. */
  function ubuntu(sums: string, signature: Buffer) {
    server.routes = {'/release/SHA256SUMS': serve(sums), '/release/SHA256SUMS.gpg': serve(signature), [`/release/${NAME}`]: serve(IMAGE)}
  }

  /** A refusal before any image byte moved, and an empty cache. */
  async function expectRefused(run: () => Promise<unknown>, reason: RegExp) {
    const error = await rejection(run)
    expect(error.code, error.message).to.equal('BOX_SIGNATURE_BAD')
    expect(error.message).to.match(reason)
    expect(String(error.hint)).to.match(/Nothing was downloaded or cached/)
    expect(server.requests).to.not.include(`/release/${NAME}`)
    expect(await list(join(root(), 'sha256'))).to.deep.equal([])
    expect(await list(join(root(), 'tmp'))).to.deep.equal([])
  }

  it('a good detached signature (Ubuntu): the box is fetched and cached', async () => {
    ubuntu(SUMS, detachedSign(key, SUMS))
    const box = await ensureBox(request('SHA256SUMS', detached(key.cert)), options())
    expect(box.entry.meta.sha256).to.equal(sha256(IMAGE))
    expect(server.requests).to.deep.equal(['/release/SHA256SUMS', '/release/SHA256SUMS.gpg', `/release/${NAME}`])
    expect(logs).to.deep.equal([])
  })

  it('a bad detached signature (the file changed after signing): refused, nothing cached', async () => {
    const forged = SUMS.replace(sha256(IMAGE), sha256('evil'))
    ubuntu(forged, detachedSign(key, SUMS))
    await expectRefused(() => ensureBox(request('SHA256SUMS', detached(key.cert)), options()), /^The checksum file .*SHA256SUMS failed its signature check: the signature \(.*SHA256SUMS\.gpg, checked against distro\.gpg\) does not match the file's content/)
  })

  it('a signature by the wrong key: refused, nothing cached', async () => {
    ubuntu(SUMS, detachedSign(other, SUMS))
    await expectRefused(() => ensureBox(request('SHA256SUMS', detached(key.cert)), options()), /was made by another key/)
  })

  it('a clear-signed CHECKSUM (Fedora): good passes; a line added outside the signature counts for nothing', async () => {
    const fedora = `# Fedora-Cloud-44-1.7-x86_64-CHECKSUM\nSHA256 (${NAME}) = ${sha256(IMAGE)}\n`
    server.routes = {'/release/CHECKSUM': serve(clearSign(key, fedora)), [`/release/${NAME}`]: serve(IMAGE)}
    const box = await ensureBox(request('CHECKSUM', {key: key.cert}), options())
    expect(box.entry.meta.sha256).to.equal(sha256(IMAGE))

    // Someone appends an entry for another image below the signed block: it is not read.
    const otherName = 'other.img'
    const appended = `${clearSign(key, fedora)}SHA256 (${otherName}) = ${sha256(IMAGE)}\n`
    server.routes = {'/release/CHECKSUM': serve(appended), [`/release/${otherName}`]: serve(IMAGE)}
    const error = await rejection(() => ensureBox({...request('CHECKSUM', {key: key.cert}), url: server.url(`/release/${otherName}`)}, options()))
    expect(error.code).to.equal('BOX_CHECKSUM_MISSING')
  })

  it('a clear-signed CHECKSUM with a changed digest, or signed by another key: refused', async () => {
    const fedora = `SHA256 (${NAME}) = ${sha256(IMAGE)}\n`
    const signed = clearSign(key, fedora)
    server.routes = {'/release/CHECKSUM': serve(signed.replace(sha256(IMAGE), sha256('evil'))), [`/release/${NAME}`]: serve(IMAGE)}
    await expectRefused(() => ensureBox(request('CHECKSUM', {key: key.cert}), options()), /does not match the file's content/)
    server.routes = {'/release/CHECKSUM': serve(clearSign(other, fedora)), [`/release/${NAME}`]: serve(IMAGE)}
    await expectRefused(() => ensureBox(request('CHECKSUM', {key: key.cert}), options()), /was made by another key/)
  })

  it('sqop checks when gpgv is not installed: good passes, wrong key and a changed file are refused', async () => {
    const runner = new MissingTools(['gpgv'])
    ubuntu(SUMS, detachedSign(key, SUMS))
    expect((await ensureBox(request('SHA256SUMS', detached(key.cert)), options(runner))).entry.meta.sha256).to.equal(sha256(IMAGE))
    await cleanup()
    ;({home, cleanup} = await tempHome())
    server.requests.length = 0
    ubuntu(SUMS, detachedSign(other, SUMS))
    await expectRefused(() => ensureBox(request('SHA256SUMS', detached(key.cert)), options(runner)), /is not a good signature by the key in distro\.gpg/)
    const fedora = `SHA256 (${NAME}) = ${sha256(IMAGE)}\n`
    server.routes = {'/release/CHECKSUM': serve(clearSign(key, fedora).replace(sha256(IMAGE), sha256('evil'))), [`/release/${NAME}`]: serve(IMAGE)}
    await expectRefused(() => ensureBox(request('CHECKSUM', {key: key.cert}), options(runner)), /is not a good signature/)
  })

  it('with neither gpgv nor sqop: a warning naming the package, and the box still comes over https alone', async () => {
    ubuntu(SUMS, detachedSign(other, SUMS)) // not even checked
    const box = await ensureBox(request('SHA256SUMS', detached(key.cert)), options(new MissingTools(['gpgv', 'sqop'])))
    expect(box.entry.meta.sha256).to.equal(sha256(IMAGE))
    expect(logs).to.deep.equal([
      `Warning: the signature of ${server.url('/release/SHA256SUMS')} was not checked: neither gpgv nor sqop is installed (\`sudo apt-get install gpgv\`). Relying on https alone.`,
    ])
  })

  it('a missing key file is an error of the installation, before any tool runs', async () => {
    ubuntu(SUMS, detachedSign(key, SUMS))
    const error = await rejection(() => ensureBox(request('SHA256SUMS', detached(join(keyDir, 'gone.gpg'))), options()))
    expect(error.code).to.equal('BOX_SIGNATURE_KEY_MISSING')
    expect(await list(join(root(), 'sha256'))).to.deep.equal([])
  })
})
