import {chmod, mkdir, readFile, readdir, stat, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {CommandFailedError, type CommandResult, type RunOptions} from '../../../src/exec/runner.js'
import type {VmError} from '../../../src/errors.js'
import {ProvisionerError} from '../../../src/provision/errors.js'
import {packArgs, renderGuestPath, renderUnpackCommand, runFileProvisioner, unpackArgs, type FileProvisioner} from '../../../src/provision/file.js'
import {captureOutput, contextOf, FakeRunner, LocalSshRunner, rejection, SSH_OPTIONS, TARGET, tempDir, tree} from './helpers.js'

const HOSTILE = `it's $(touch pwned) "q" \`x\``

/** Also records the tarball's mode and size at the moment ssh gets it. */
class TarballWatchingRunner extends LocalSshRunner {
  readonly tarballs: Array<{path: string; mode: number}> = []

  override async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (file === 'ssh' && options.inputFile) this.tarballs.push({path: options.inputFile, mode: (await stat(options.inputFile)).mode & 0o777})
    return super.run(file, args, options)
  }
}

function file(source: string, destination: string): FileProvisioner {
  return {kind: 'file', label: 'file #1', source, destination}
}

describe('provision/file', () => {
  describe('packArgs', () => {
    it('packs the named members of a folder, none read as an option, an empty list allowed', () => {
      expect(packArgs('/src', ['./a', './-b'], '/p/.vm/tmp/x.tar')).to.deep.equal([
        '--create', '--file', '/p/.vm/tmp/x.tar', '--directory', '/src', '--files-from=/dev/null', './a', './-b',
      ])
    })

    it('leaves the excluded path out literally, and can follow a symlinked file', () => {
      expect(packArgs('/src', ['./a'], '/t.tar', {exclude: 'sub/[.]vm', dereference: true})).to.deep.equal([
        '--create', '--file', '/t.tar', '--directory', '/src', '--dereference', '--anchored', '--no-wildcards', '--exclude=./sub/[.]vm', '--files-from=/dev/null', './a',
      ])
    })
  })

  describe('renderGuestPath', () => {
    it('reads "~" and "~/" as the login user\'s home and quotes the rest', () => {
      expect(renderGuestPath('~')).to.equal('"$HOME"')
      expect(renderGuestPath('~/')).to.equal('"$HOME"')
      expect(renderGuestPath('~/app')).to.equal('"$HOME"/app')
      expect(renderGuestPath("~/it's here")).to.equal(`"$HOME"/'it'\\''s here'`)
      expect(renderGuestPath('/etc/app.conf')).to.equal('/etc/app.conf')
      expect(renderGuestPath('/srv/$(id)')).to.equal(`'/srv/$(id)'`)
      // Only "~/" is special: "~other" stays literal rather than another user's home.
      expect(renderGuestPath('~other/x')).to.equal(`'~other/x'`)
    })
  })

  describe('renderUnpackCommand', () => {
    it('unpacks a folder into the destination, made if missing', () => {
      expect(renderUnpackCommand('folder', '~/site', 'site')).to.equal('mkdir -p -- "$HOME"/site && tar -x -f - -C "$HOME"/site')
    })

    it('unpacks a file in a private temp folder, then moves it to the destination', () => {
      expect(renderUnpackCommand('file', '/etc/app/conf.yml', 'my conf.yml')).to.equal(
        `t=$(mktemp -d) || exit 1; tar -x -f - -C "$t" && mkdir -p -- /etc/app && mv -f -- "$t"/'my conf.yml' /etc/app/conf.yml; s=$?; rm -rf "$t"; exit $s`,
      )
    })

    it('moves a file into a destination that ends in "/" or is the home', () => {
      expect(renderUnpackCommand('file', '~/conf/', 'a')).to.contain('mkdir -p -- "$HOME"/conf/ && mv -f -- "$t"/a "$HOME"/conf/;')
      expect(renderUnpackCommand('file', '~', 'a')).to.contain('mkdir -p -- "$HOME" && mv -f -- "$t"/a "$HOME";')
      expect(renderUnpackCommand('file', '~/a.txt', 'a')).to.contain('mkdir -p -- "$HOME" && mv -f -- "$t"/a "$HOME"/a.txt;')
    })

    it('is one batch-mode ssh call', () => {
      expect(unpackArgs(TARGET, 'folder', '/srv', 'x')).to.deep.equal([...SSH_OPTIONS, '-T', '--', TARGET.host, renderUnpackCommand('folder', '/srv', 'x')])
    })
  })

  describe('runFileProvisioner, with a local shell as the guest', () => {
    let dir: string
    let remove: () => Promise<void>
    let project: string
    let home: string

    beforeEach(async () => {
      ;({dir, remove} = await tempDir('vm-file-'))
      project = join(dir, 'project')
      home = join(dir, 'home')
      await mkdir(join(project, '.vm', 'tmp'), {recursive: true})
      await writeFile(join(project, '.vm', 'id_ed25519'), 'private key')
      await mkdir(join(home, '.tmp'), {recursive: true, mode: 0o700})
      await chmod(home, 0o700)
    })
    afterEach(() => remove())

    async function provision(provisioner: FileProvisioner) {
      const out = captureOutput()
      const runner = new TarballWatchingRunner(home)
      const status = await runFileProvisioner(contextOf(runner, out, project), provisioner)
      return {status, out, runner}
    }

    it('copies a folder as the destination, leaving out the project\'s .vm and removing its private tarball', async () => {
      await writeFile(join(project, 'Vmfile'), 'machines: {}\n')
      await mkdir(join(project, 'src', 'empty'), {recursive: true})
      await writeFile(join(project, 'src', HOSTILE), 'hostile name\n')
      await writeFile(join(project, 'run.sh'), '#!/bin/sh\n', {mode: 0o755})
      await symlink('run.sh', join(project, 'link'))
      const {status, out, runner} = await provision(file(project, '~/app'))
      expect(status).to.equal(0)
      expect(out.lines).to.deep.equal([])
      expect(await tree(join(home, 'app'))).to.deep.equal(['Vmfile', 'link', 'run.sh', 'src/', 'src/empty/', `src/${HOSTILE}`])
      expect(await readFile(join(home, 'app', 'src', HOSTILE), 'utf8')).to.equal('hostile name\n')
      expect((await stat(join(home, 'app', 'run.sh'))).mode & 0o777).to.equal(0o755)
      expect(await readdir(home)).to.have.members(['.tmp', 'app'])
      expect(runner.tarballs).to.have.length(1)
      expect(runner.tarballs[0]!.path.startsWith(join(project, '.vm', 'tmp') + '/')).to.equal(true)
      expect(runner.tarballs[0]!.mode).to.equal(0o600)
      expect(await readdir(join(project, '.vm', 'tmp'))).to.deep.equal([])
    })

    it('copies a folder into an existing destination without changing that folder\'s own mode', async () => {
      const source = join(dir, 'dotfiles')
      await mkdir(source, {mode: 0o777})
      await chmod(source, 0o777)
      await writeFile(join(source, '.bashrc'), 'alias ll="ls -l"\n')
      const {status} = await provision(file(source, '~'))
      expect(status).to.equal(0)
      expect(await readFile(join(home, '.bashrc'), 'utf8')).to.equal('alias ll="ls -l"\n')
      // A group-writable home would make sshd refuse our key.
      expect((await stat(home)).mode & 0o777).to.equal(0o700)
    })

    it('copies an empty folder', async () => {
      const source = join(dir, 'empty')
      await mkdir(source)
      expect((await provision(file(source, '~/a/b'))).status).to.equal(0)
      expect(await tree(join(home, 'a'))).to.deep.equal(['b/'])
    })

    it('copies a file to a new path, into an existing folder, into a path ending in "/", keeping its mode', async () => {
      const source = join(dir, HOSTILE)
      await writeFile(source, 'data\n', {mode: 0o750})
      await chmod(source, 0o750)
      await mkdir(join(home, 'existing'))
      expect((await provision(file(source, `~/conf/${HOSTILE}.copy`))).status).to.equal(0)
      expect((await provision(file(source, '~/existing'))).status).to.equal(0)
      expect((await provision(file(source, '~/new/'))).status).to.equal(0)
      expect(await tree(home)).to.deep.equal(['.tmp/', 'conf/', `conf/${HOSTILE}.copy`, 'existing/', `existing/${HOSTILE}`, 'new/', `new/${HOSTILE}`])
      expect(await readFile(join(home, 'conf', `${HOSTILE}.copy`), 'utf8')).to.equal('data\n')
      expect((await stat(join(home, 'new', HOSTILE))).mode & 0o777).to.equal(0o750)
    })

    it('copies the file a symlink points to, and overwrites an earlier copy', async () => {
      await writeFile(join(dir, 'real.txt'), 'v1\n')
      await symlink(join(dir, 'real.txt'), join(dir, 'link.txt'))
      expect((await provision(file(join(dir, 'link.txt'), join(home, 'copy.txt')))).status).to.equal(0)
      await writeFile(join(dir, 'real.txt'), 'v2\n')
      expect((await provision(file(join(dir, 'link.txt'), join(home, 'copy.txt')))).status).to.equal(0)
      expect(await readFile(join(home, 'copy.txt'), 'utf8')).to.equal('v2\n')
      expect((await stat(join(home, 'copy.txt'))).isFile()).to.equal(true)
    })

    it('returns the guest\'s failure status with its messages as warnings, and still removes the tarball', async () => {
      await writeFile(join(home, 'blocker'), '')
      await writeFile(join(dir, 'a.txt'), 'a')
      const {status, out} = await provision(file(join(dir, 'a.txt'), '~/blocker/sub/a.txt'))
      expect(status).to.not.equal(0)
      expect(out.lines.length).to.be.greaterThan(0)
      expect(out.lines.every((line) => line.startsWith('warn: mkdir: '))).to.equal(true)
      expect(await readdir(join(project, '.vm', 'tmp'))).to.deep.equal([])
      expect(await readdir(join(home, '.tmp')), 'the guest temp folder is removed').to.deep.equal([])
    })
  })

  describe('runFileProvisioner, scripted', () => {
    it('names the machine and provisioner when the source is gone, before running anything', async () => {
      const runner = new FakeRunner([])
      const error = await rejection(runFileProvisioner(contextOf(runner, captureOutput()), file('/nonexistent/conf', '/etc/conf')))
      expect(error).to.be.instanceOf(ProvisionerError)
      expect((error as VmError).code).to.equal('PROVISION_SOURCE_UNREADABLE')
      expect(error.message).to.match(/^web: provisioner file #1: cannot read \/nonexistent\/conf: ENOENT/)
      expect(runner.calls).to.deep.equal([])
    })

    it('lets a host tar failure through and removes the tarball', async () => {
      const {dir, remove} = await tempDir('vm-file-')
      try {
        await writeFile(join(dir, 'a'), 'a')
        const failure = new CommandFailedError(['tar'], {stdout: '', stderr: 'tar: boom', exitCode: 2})
        const runner = new FakeRunner([{throws: failure}])
        const error = await rejection(runFileProvisioner(contextOf(runner, captureOutput(), join(dir, 'project')), file(join(dir, 'a'), '/a')))
        expect(error).to.equal(failure)
        expect(runner.calls.map((c) => c.file)).to.deep.equal(['tar'])
        expect(await readdir(join(dir, 'project', '.vm', 'tmp'))).to.deep.equal([])
        expect((await stat(join(dir, 'project', '.vm'))).mode & 0o777).to.equal(0o700)
      } finally {
        await remove()
      }
    })
  })
})
