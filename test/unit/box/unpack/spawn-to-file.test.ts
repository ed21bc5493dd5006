import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {runToFile, ToolFailedError} from '../../../../src/box/unpack/spawn-to-file.js'
import {InterruptedError} from '../../../../src/errors.js'
import {ToolNotInstalledError} from '../../../../src/exec/runner.js'
import {rejection} from '../helpers.js'
import {tempDir} from './helpers.js'

describe('box/unpack runToFile', () => {
  let dir: {dir: string; remove(): Promise<void>}
  before(async () => {
    dir = await tempDir('vm-spawn-test-')
  })
  after(() => dir.remove())
  const out = (name: string) => join(dir.dir, name)

  it("puts the child's stdout in the file, with LC_ALL=C", async () => {
    await runToFile('sh', ['-c', 'printf "%s" "$LC_ALL"; printf " out"'], out('ok'))
    expect(await readFile(out('ok'), 'utf8')).to.equal('C out')
  })

  it('throws ToolFailedError with the exit status and the end of stderr', async () => {
    const error = await rejection(() => runToFile('sh', ['-c', 'echo "xz: (stdin): Compressed data is corrupt" >&2; exit 1'], out('fail')))
    expect(error).to.be.instanceOf(ToolFailedError)
    expect(error).to.include({tool: 'sh', exitCode: 1, stderr: 'xz: (stdin): Compressed data is corrupt\n'})
  })

  it('throws ToolNotInstalledError for a missing program', async () => {
    expect(await rejection(() => runToFile('vm-no-such-tool', [], out('missing')))).to.be.instanceOf(ToolNotInstalledError)
  })

  it('never writes over an existing file', async () => {
    await writeFile(out('exists'), 'keep')
    expect(await rejection(() => runToFile('echo', ['x'], out('exists')))).to.have.property('code', 'EEXIST')
    expect(await readFile(out('exists'), 'utf8')).to.equal('keep')
  })

  it('stops the child and throws InterruptedError on abort', async () => {
    const controller = new AbortController()
    const started = Date.now()
    setTimeout(() => controller.abort(), 50)
    expect(await rejection(() => runToFile('sleep', ['10'], out('slow'), controller.signal))).to.be.instanceOf(InterruptedError)
    expect(Date.now() - started).to.be.below(2000)
    expect(await rejection(() => runToFile('echo', [], out('never'), AbortSignal.abort()))).to.be.instanceOf(InterruptedError)
  })
})
