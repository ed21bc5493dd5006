import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {ExecaRunner} from '../../../src/exec/runner.js'
import {withTarball} from '../../../src/folders/tarball.js'
import {makeTree, removeDir, tempDir} from './helpers.js'

describe('folders/tarball', () => {
  let work: string
  beforeEach(() => (work = tempDir()))
  afterEach(() => removeDir(work))

  it('archives exactly the listed members, odd names included, and removes the archive afterwards', async () => {
    const root = join(work, 'root')
    makeTree(root, {d: 'dir', 'd/in': 'file:x', 'd/not-listed': 'file:y', '-rf': 'file:z', 'a\nb': 'file:w'})
    const tmpDir = join(work, 'tmp')
    let kept = ''
    await withTarball({runner: new ExecaRunner(), root, members: ['.', 'd', 'd/in', '-rf', 'a\nb'], tmpDir}, async (archive) => {
      kept = archive
      expect(existsSync(archive)).to.equal(true)
      const listed = execFileSync('tar', ['--list', '--quoting-style=escape', '--file', archive], {encoding: 'utf8'}).trim().split('\n')
      expect(listed).to.deep.equal(['./', './d/', './d/in', './-rf', './a\\nb'])
    })
    expect(existsSync(kept)).to.equal(false)
    expect(readdirSync(tmpDir)).to.deep.equal([])
  })

  it('keeps .vm out even when a caller lists it (a second fence around the private key)', async () => {
    const root = join(work, 'root')
    makeTree(root, {'.vm': 'dir', '.vm/id_ed25519': 'file:KEY', sub: 'dir', 'sub/.vm': 'dir', 'sub/.vm/k': 'file:K', 'a.vm': 'file:ok'})
    await withTarball({runner: new ExecaRunner(), root, members: ['.', '.vm', '.vm/id_ed25519', 'sub', 'sub/.vm', 'sub/.vm/k', 'a.vm'], tmpDir: join(work, 'tmp')}, async (archive) => {
      const listed = execFileSync('tar', ['--list', '--file', archive], {encoding: 'utf8'}).trim().split('\n')
      expect(listed).to.deep.equal(['./', './sub/', './a.vm'])
    })
  })

  it('removes the temp files when tar fails', async () => {
    const tmpDir = join(work, 'tmp')
    const error = await withTarball({runner: new ExecaRunner(), root: join(work, 'root'), members: ['missing'], tmpDir}, async () => 'never').catch((e: unknown) => e)
    expect(error).to.be.instanceOf(Error)
    expect(readdirSync(tmpDir)).to.deep.equal([])
  })
})
