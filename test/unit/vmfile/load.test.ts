import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {expect} from 'chai'

import {renderError, VmError} from '../../../src/errors.js'
import {findVmfile, loadVmfile, VmfileInvalidError, VmfileNotFoundError} from '../../../src/vmfile/load.js'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

describe('vmfile/load', () => {
  let root: string

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'vmfile-load-'))
  })

  afterEach(async () => {
    await rm(root, {recursive: true, force: true})
  })

  describe('findVmfile', () => {
    it('finds the Vmfile in the start folder', async () => {
      await writeFile(join(root, 'Vmfile'), 'box: debian-12\n')
      expect(await findVmfile(root)).to.equal(join(root, 'Vmfile'))
    })

    it('walks up through parent folders', async () => {
      await mkdir(join(root, 'a/b/c'), {recursive: true})
      await writeFile(join(root, 'Vmfile'), '')
      expect(await findVmfile(join(root, 'a/b/c'))).to.equal(join(root, 'Vmfile'))
    })

    it('takes the nearest one', async () => {
      await mkdir(join(root, 'a/b'), {recursive: true})
      await writeFile(join(root, 'Vmfile'), '')
      await writeFile(join(root, 'a/Vmfile'), '')
      expect(await findVmfile(join(root, 'a/b'))).to.equal(join(root, 'a/Vmfile'))
    })

    it('skips a folder named Vmfile', async () => {
      await mkdir(join(root, 'a/Vmfile'), {recursive: true})
      await writeFile(join(root, 'Vmfile'), '')
      expect(await findVmfile(join(root, 'a'))).to.equal(join(root, 'Vmfile'))
    })

    it('returns undefined when no folder up to the root has one', async function () {
      // Only meaningful if nothing above the temp folder has a Vmfile of its own.
      if ((await findVmfile(dirname(root))) !== undefined) this.skip()
      await mkdir(join(root, 'a'))
      expect(await findVmfile(join(root, 'a'))).to.equal(undefined)
    })
  })

  describe('loadVmfile', () => {
    it('reads and resolves the file, naming it relative to the current folder', async () => {
      const source = 'box: debian-12\nmachines:\n  web: {}\n'
      await writeFile(join(root, 'Vmfile'), source)
      await mkdir(join(root, 'sub'))
      const result = await loadVmfile(join(root, 'Vmfile'), {VM_ACCELERATOR: 'tcg'}, join(root, 'sub'))
      expect(result.displayName).to.equal('../Vmfile')
      expect(result.source).to.equal(source)
      expect(result.problems).to.deep.equal([])
      expect(result.vmfile?.path).to.equal(join(root, 'Vmfile'))
      expect(result.vmfile?.projectDir).to.equal(root)
      expect(result.vmfile?.machines.map((m) => [m.name, m.accelerator])).to.deep.equal([['web', 'tcg']])
    })

    it('resolves a relative path against the current folder', async () => {
      await writeFile(join(root, 'Vmfile'), 'box: debian-12\n')
      const result = await loadVmfile('Vmfile', {}, root)
      expect(result.displayName).to.equal('Vmfile')
      expect(result.vmfile?.path).to.equal(join(root, 'Vmfile'))
    })

    it('returns problems instead of throwing, and VmfileInvalidError renders them', async () => {
      const source = 'box: debian-12\nmemroy: 2GiB\nmachines:\n  beta:\n    memory: 2 gigs\n'
      await writeFile(join(root, 'Vmfile'), source)
      const result = await loadVmfile(join(root, 'Vmfile'), {}, root)
      expect(result.vmfile).to.equal(undefined)
      const error = new VmfileInvalidError(result.problems, result.source, result.displayName)
      expect(error).to.be.instanceOf(VmError)
      expect([error.code, error.exitCode, error.message]).to.deep.equal(['VMFILE_INVALID', 2, 'Vmfile has 1 error and 1 warning.'])
      expect(error.problems).to.equal(result.problems)
      expect(renderError(error)).to.equal(
        [
          'Error: Vmfile has 1 error and 1 warning.',
          'Vmfile:2:1 warning: memroy: unknown key (ignored); did you mean memory?',
          'memroy: 2GiB',
          '^^^^^^',
          'Vmfile:5:13 machines.beta.memory: expected a size like 768MiB or 2GiB, found "2 gigs"',
          '    memory: 2 gigs',
          '            ^^^^^^',
        ].join('\n'),
      )
    })

    it('throws VmfileNotFoundError when the file does not exist', async () => {
      const error = await rejection(loadVmfile(join(root, 'Vmfile'), {}, root))
      expect(error).to.be.instanceOf(VmfileNotFoundError)
      const {code, exitCode, message, hint} = error as VmfileNotFoundError
      expect({code, exitCode, message, hint}).to.deep.equal({
        code: 'VMFILE_NOT_FOUND',
        exitCode: 1,
        message: `No Vmfile at ${join(root, 'Vmfile')}.`,
        hint: 'Run `vm init` to write one here.',
      })
    })

    it('throws VMFILE_UNREADABLE when the path cannot be read as a file', async () => {
      await mkdir(join(root, 'Vmfile'))
      const error = (await rejection(loadVmfile(join(root, 'Vmfile'), {}, root))) as VmError
      expect(error.code).to.equal('VMFILE_UNREADABLE')
      expect(error.message).to.match(/^Cannot read .*Vmfile: EISDIR/)
    })
  })

  it('VmfileNotFoundError after a search names the folder searched from', () => {
    const error = new VmfileNotFoundError('/home/ann/project')
    expect(renderError(error)).to.equal(
      ['Error: No Vmfile in /home/ann/project or any folder above it.', 'Hint: Run `vm init` to write one here.'].join('\n'),
    )
  })
})
