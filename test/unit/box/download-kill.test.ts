import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtemp, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

import {downloadResumable} from '../../../src/box/download.js'
import {silentProgress} from '../../../src/box/progress.js'
import {statePath} from '../../../src/box/resume-state.js'
import {startFlakyServer, type FlakyServer} from '../../helpers/flaky-server.js'
import {fakeImage, sha256} from './helpers.js'

const MiB = 1024 * 1024
const IMAGE = fakeImage(6 * MiB + 4321)
const CHILD = fileURLToPath(new URL('../../helpers/download-child.ts', import.meta.url))

describe('box/download: a download killed with SIGKILL resumes in the next process', () => {
  let server: FlakyServer
  let dir: string
  let child: ChildProcess | undefined

  beforeEach(async () => {
    server = await startFlakyServer()
    dir = await mkdtemp(join(tmpdir(), 'vm-download-kill-'))
  })

  afterEach(async () => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL') // only ours, by its handle
    await server.close()
    await rm(dir, {recursive: true, force: true})
  })

  it('keeps the part through kill -9; the next call fetches only the rest and gets the right digest', async () => {
    server.serve('/big.img', IMAGE)
    // The first request trickles (about 6 MiB/s) so the child is surely mid-transfer when it dies.
    server.fail('/big.img', {kind: 'trickle', chunkBytes: 64 * 1024, intervalMs: 10})
    const url = server.url('/big.img')
    const partPath = join(dir, 'tmp', 'big.part')

    child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, partPath], {stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)))

    // Wait until a good part of the file is on disk, then kill the process without warning.
    const deadline = Date.now() + 15_000
    for (;;) {
      const size = (await stat(partPath).catch(() => undefined))?.size ?? 0
      if (size >= 2 * MiB) break
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the child never got going: ${stderr}`)
      await delay(20)
    }
    process.kill(child.pid!, 'SIGKILL')
    expect(await exited).to.equal('SIGKILL')
    const kept = (await stat(partPath)).size
    expect(kept).to.be.within(2 * MiB, IMAGE.length - 1)
    expect(JSON.parse(await readFile(statePath(partPath), 'utf8'))).to.include({url, totalBytes: IMAGE.length})

    const sentBefore = server.bytesSent()
    const file = await downloadResumable({urls: [url], partPath, label: 'Downloading big', sha512: false, progress: silentProgress})
    expect(file).to.deep.include({size: IMAGE.length, sha256: sha256(IMAGE), resumedFrom: kept, fetchedBytes: IMAGE.length - kept})
    expect(server.bytesSent() - sentBefore).to.equal(IMAGE.length - kept)
    expect(server.requests.at(-1)).to.include({range: `bytes=${kept}-`, status: 206})
    expect((await readFile(partPath)).equals(IMAGE)).to.equal(true)
  })
})
