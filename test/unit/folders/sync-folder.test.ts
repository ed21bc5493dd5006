import {chmodSync, existsSync, lstatSync, readdirSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {VmError} from '../../../src/errors.js'
import {renderFullSyncScript} from '../../../src/folders/remote-script.js'
import {syncFolder} from '../../../src/folders/sync-folder.js'
import {withTarball} from '../../../src/folders/tarball.js'
import {ExecaRunner} from '../../../src/exec/runner.js'
import {folderOf, LocalGuestRunner, makeTree, readTree, removeDir, target, tempDir, type Tree} from './helpers.js'

/** Names that break naive quoting, word splitting, option parsing or line-based lists. */
const NASTY: Tree = {
  'with space': 'file:a',
  "it's": 'file:quote',
  '"double"': 'file:dq',
  'new\nline': 'file:nl',
  'trailing\n': 'file:tnl',
  '-rf': 'file:dash',
  '--help': 'file:dashdash',
  '$(touch pwned)': 'file:subst',
  '`touch pwned2`': 'file:backtick',
  '*': 'file:star',
  'ünïcödé ✓': 'file:utf8',
  'back\\slash': 'file:bs',
}

describe('folders/sync-folder', () => {
  let work: string
  let host: string
  let guestParent: string
  let guest: string
  let tmp: string

  beforeEach(() => {
    work = tempDir()
    host = join(work, 'project')
    guestParent = join(work, 'guest root')
    guest = join(guestParent, "app 'dir'")
    tmp = join(host, '.vm', 'tmp')
  })
  afterEach(() => removeDir(work))

  async function sync(runner = new LocalGuestRunner(), exclude: string[] = [], sudo = false) {
    return syncFolder({runner, target, folder: folderOf(host, guest, exclude), tmpDir: tmp, sudo})
  }

  it('mirrors the host folder exactly: new, changed and deleted entries, nested folders, odd names, symlinks', async () => {
    makeTree(host, {
      ...NASTY,
      src: 'dir',
      'src/main.c': 'file:int main;',
      'src/deep': 'dir',
      'src/deep/er': 'dir',
      'src/deep/er/leaf.txt': 'file:leaf',
      empty: 'dir',
      'changed.txt': 'file:new content',
      'rel-link': 'link:src/main.c',
      'abs-dangling': 'link:/nonexistent/target',
      'dir-link': 'link:src',
    })
    chmodSync(join(host, 'src/main.c'), 0o750)
    chmodSync(join(host, 'empty'), 0o711)
    chmodSync(host, 0o750)
    makeTree(guest, {'stale.txt': 'file:old', 'stale-dir': 'dir', 'stale-dir/x': 'file:x', 'changed.txt': 'file:old content', src: 'file:was a file'})

    const summary = await sync()

    expect(readTree(guest)).to.deep.equal(withoutVm(readTree(host)))
    expect(lstatSync(join(guest, 'dir-link')).isSymbolicLink()).to.equal(true)
    // The folder itself takes the host folder's mode (the archive's `.` member).
    expect(statSync(guest).mode & 0o7777).to.equal(0o750)
    expect(existsSync(join(work, 'pwned'))).to.equal(false)
    expect(existsSync('pwned')).to.equal(false)
    // 12 odd names + main.c + leaf.txt + changed.txt + 3 links.
    expect(summary.files).to.equal(18)
    expect(summary.bytes).to.equal(sizeOfFiles(host))
  })

  it('never copies .vm/ (the private key), at the top or in a nested project', async () => {
    makeTree(host, {
      '.vm': 'dir',
      '.vm/id_ed25519': 'file:PRIVATE',
      'sub': 'dir',
      'sub/.vm': 'dir',
      'sub/.vm/id_ed25519': 'file:PRIVATE TOO',
      'sub/keep.txt': 'file:k',
      'x.vm': 'file:not the state folder',
    })
    await sync()
    expect(readTree(guest)).to.deep.equal({
      sub: readTree(host).sub,
      'sub/keep.txt': 'file 644:k',
      'x.vm': 'file 644:not the state folder',
    })
  })

  it('honours the folder\'s excludes with rsync semantics', async () => {
    makeTree(host, {
      node_modules: 'dir',
      'node_modules/a.js': 'file:a',
      'web': 'dir',
      'web/node_modules': 'dir',
      'web/node_modules/b.js': 'file:b',
      'web/node_modules.txt': 'file:a file, not the dir pattern',
      'app.log': 'file:log',
      'web/debug.log': 'file:log',
      build: 'dir',
      'build/out': 'file:o',
      'web/build': 'dir',
      'web/build/kept': 'file:unanchored build stays',
      'docs': 'dir',
      'docs/private': 'dir',
      'docs/private/secret': 'file:s',
      'docs/public': 'file:p',
    })
    await sync(undefined, ['node_modules/', '*.log', '/build', 'docs/private', 'web/node_modules.txt/'])
    expect(Object.keys(readTree(guest)).sort()).to.deep.equal(['docs', 'docs/public', 'web', 'web/build', 'web/build/kept', 'web/node_modules.txt'])
  })

  it('writes the archive 0600 under tmpDir, feeds it to one ssh call, and removes it', async () => {
    makeTree(host, {'a.txt': 'file:a'})
    let seen: {path: string; mode: number} | undefined
    const runner = new LocalGuestRunner((call) => {
      const path = call.options.inputFile!
      seen = {path, mode: statSync(path).mode & 0o777}
    })
    await sync(runner)
    expect(runner.calls.map((c) => c.file)).to.deep.equal(['tar', 'ssh'])
    expect(seen!.path.startsWith(tmp + '/')).to.equal(true)
    expect(seen!.mode).to.equal(0o600)
    expect(readdirSync(tmp)).to.deep.equal([])
    const ssh = runner.calls[1]!.args
    expect(ssh).to.include('BatchMode=yes')
    expect(ssh).to.include('StrictHostKeyChecking=yes')
  })

  it('creates missing parent folders in the guest', async () => {
    makeTree(host, {'a.txt': 'file:a'})
    guest = join(work, 'not', 'there', 'yet')
    await sync()
    expect(readTree(guest)).to.deep.equal({'a.txt': 'file 644:a'})
  })

  it('leaves the old guest folder untouched, and no temp folder behind, when the transfer breaks', async () => {
    makeTree(host, {big: `file:${'x'.repeat(200_000)}`, 'a.txt': 'file:new'})
    makeTree(guest, {'a.txt': 'file:old', 'only-in-guest': 'file:g'})
    const before = readTree(guest)
    // Cut the archive in the middle of a file: tar in the guest sees an unexpected EOF.
    const runner = new LocalGuestRunner((call) => truncateSync(call.options.inputFile!, 100_000))
    const error = await sync(runner).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(VmError)
    expect((error as VmError).code).to.equal('FOLDER_SYNC_FAILED')
    expect((error as VmError).message).to.contain('left as it was')
    expect(readTree(guest)).to.deep.equal(before)
    expect(readdirSync(guestParent)).to.deep.equal(["app 'dir'"])
    expect(readdirSync(tmp)).to.deep.equal([])
  })

  it('runs the production command (sudo unless root) as root', async function () {
    if (process.getuid?.() !== 0) this.skip()
    makeTree(host, {'a.txt': 'file:a'})
    await sync(undefined, [], true)
    expect(readTree(guest)).to.deep.equal({'a.txt': 'file 644:a'})
  })

  it('refuses "/" and relative guest paths, and a missing host folder', async () => {
    makeTree(host, {})
    for (const bad of ['/', '//', 'relative/path']) {
      guest = bad
      const error = await sync().catch((e: unknown) => e)
      expect((error as VmError).code, bad).to.equal('FOLDER_GUEST_PATH_INVALID')
    }
    guest = join(work, 'g')
    host = join(work, 'missing')
    expect(((await sync().catch((e: unknown) => e)) as VmError).code).to.equal('FOLDER_HOST_PATH_MISSING')
  })

  it('gives every entry, symlinks included, to the login user without following links', async function () {
    if (process.getuid?.() !== 0) this.skip()
    const outside = join(work, 'outside')
    makeTree(outside, {'secret': 'file:s'})
    makeTree(host, {'a.txt': 'file:a', d: 'dir', 'd/b': 'file:b', 'link-out': `link:${join(outside, 'secret')}`})
    const runner = new ExecaRunner()
    const archive = join(work, 'a.tar')
    await withTarball({runner, root: host, members: ['.', 'a.txt', 'd', 'd/b', 'link-out'], tmpDir: join(work, 'tmp')}, async (path) => {
      writeFileSync(archive, '')
      await runner.run('cp', [path, archive])
    })
    // The script alone, with a uid/gid other than ours as $1/$2.
    await runner.run('sh', ['-c', renderFullSyncScript(guest), 'vm-sync', '65534', '65533'], {inputFile: archive})
    for (const rel of ['', 'a.txt', 'd', 'd/b', 'link-out']) {
      const info = lstatSync(join(guest, rel))
      expect([info.uid, info.gid], rel).to.deep.equal([65534, 65533])
    }
    expect(lstatSync(join(outside, 'secret')).uid).to.equal(0)
  })
})

function withoutVm(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([rel]) => rel !== '.vm' && !rel.startsWith('.vm/')))
}

function sizeOfFiles(root: string): number {
  return Object.entries(withoutVm(readTree(root)))
    .filter(([, spec]) => spec.startsWith('file '))
    .reduce((sum, [rel]) => sum + statSync(join(root, rel)).size, 0)
}
