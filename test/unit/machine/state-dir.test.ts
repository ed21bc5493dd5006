import {chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {projectPaths} from '../../../src/machine/paths.js'
import {checkStateDir, ensureStateDir} from '../../../src/machine/state-dir.js'
import {UnsafeStateError} from '../../../src/util/owned-file.js'
import {rejectedVmError} from '../fixture.js'

describe('machine/state-dir', () => {
  let scratch: string
  let project: string
  let outside: string
  const paths = () => projectPaths(project)

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'vm-state-dir-'))
    project = join(scratch, 'project')
    outside = join(scratch, 'outside')
    await mkdir(project)
    await mkdir(outside)
  })

  afterEach(async () => {
    await rm(scratch, {recursive: true, force: true})
  })

  const mode = async (path: string) => (await stat(path)).mode & 0o777

  it('makes .vm/ at 0700 with a .gitignore that ignores everything', async () => {
    await ensureStateDir(paths())
    expect(await mode(paths().stateDir)).to.equal(0o700)
    expect(await readFile(join(paths().stateDir, '.gitignore'), 'utf8')).to.match(/^\*$/m)
  })

  it('forces 0700 on a .vm/ that came with mode 0777', async () => {
    await mkdir(paths().stateDir)
    await chmod(paths().stateDir, 0o777)
    await ensureStateDir(paths())
    expect(await mode(paths().stateDir)).to.equal(0o700)
  })

  it('refuses a .vm that is a symlink, and writes nothing where it points', async () => {
    await symlink(outside, paths().stateDir)
    const error = await rejectedVmError(ensureStateDir(paths()))
    expect(error).to.be.instanceOf(UnsafeStateError)
    expect(error.exitCode).to.equal(2)
    expect(error.message).to.equal(`vm will not use ${paths().stateDir}: it is a symlink.`)
    expect(error.hint).to.contain(`rm -r ${paths().stateDir}`)
    expect(await readdir(outside)).to.deep.equal([])
    expect(await mode(outside)).to.not.equal(0o700)
  })

  for (const entry of ['lock', 'id_ed25519', 'id_ed25519.pub', 'known_hosts', '.gitignore', 'tmp', 'ansible']) {
    it(`refuses .vm/${entry} that is a symlink (to a file of the user's outside)`, async () => {
      await mkdir(paths().stateDir, {mode: 0o700})
      const target = join(outside, 'precious')
      await writeFile(target, 'keep me\n', {mode: 0o644})
      await symlink(target, join(paths().stateDir, entry))
      const error = await rejectedVmError(ensureStateDir(paths()))
      expect(error.message).to.equal(`vm will not use ${join(paths().stateDir, entry)}: it is a symlink.`)
      expect(await readFile(target, 'utf8')).to.equal('keep me\n')
      expect(await mode(target)).to.equal(0o644)
    })
  }

  it('checkStateDir: nothing to check when there is no .vm/, and it makes none', async () => {
    await checkStateDir(paths())
    expect(await readdir(project)).to.deep.equal([])
  })

  it("refuses a .vm/ or a file in it that belongs to another user (as root, who can make one)", async function () {
    if (process.geteuid?.() !== 0) this.skip()
    await mkdir(paths().stateDir, {mode: 0o700})
    await writeFile(paths().knownHosts, '')
    await chown(paths().knownHosts, 4242, 4242)
    expect((await rejectedVmError(checkStateDir(paths()))).message).to.equal(`vm will not use ${paths().knownHosts}: it belongs to uid 4242, not to you (uid 0).`)
    await rm(paths().knownHosts)
    await chown(paths().stateDir, 4242, 4242)
    expect((await rejectedVmError(ensureStateDir(paths()))).message).to.equal(`vm will not use ${paths().stateDir}: it belongs to uid 4242, not to you (uid 0).`)
  })
})
