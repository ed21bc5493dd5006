import {existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {VmError} from '../../../src/errors.js'
import {MAX_COMMAND_LENGTH, syncChanges} from '../../../src/folders/sync-changes.js'
import {syncFolder} from '../../../src/folders/sync-folder.js'
import {folderOf, LocalGuestRunner, makeTree, readTree, removeDir, target, tempDir} from './helpers.js'

describe('folders/sync-changes', () => {
  let work: string
  let host: string
  let guest: string
  let tmp: string
  let exclude: string[]

  beforeEach(() => {
    work = tempDir()
    host = join(work, 'project')
    guest = join(work, 'guest', "app 'dir'")
    tmp = join(host, '.vm', 'tmp')
    exclude = []
  })
  afterEach(() => removeDir(work))

  const folder = () => folderOf(host, guest, exclude)

  async function fullSync(): Promise<void> {
    await syncFolder({runner: new LocalGuestRunner(), target, folder: folder(), tmpDir: tmp, sudo: false})
  }

  async function changes(changed: string[], removed: string[], runner = new LocalGuestRunner()) {
    return syncChanges({runner, target, folder: folder(), tmpDir: tmp, sudo: false, changed, removed})
  }

  function mirrored(): void {
    const hostTree = Object.fromEntries(Object.entries(readTree(host)).filter(([rel]) => rel !== '.vm' && !rel.startsWith('.vm/')))
    expect(readTree(guest)).to.deep.equal(hostTree)
  }

  it('applies changes, additions (nested, odd names) and removals in one ssh call', async () => {
    makeTree(host, {'keep.txt': 'file:k', 'edit.txt': 'file:v1', 'gone.txt': 'file:g', old: 'dir', 'old/x': 'file:x', 'old/y': 'dir'})
    await fullSync()
    writeFileSync(join(host, 'edit.txt'), 'v2, longer')
    makeTree(host, {'new dir': 'dir', 'new dir/sub': 'dir', "new dir/sub/it's\nodd": 'file:odd', '-rf': 'file:dash', link: 'link:keep.txt'})
    unlinkSync(join(host, 'gone.txt'))
    rmSync(join(host, 'old'), {recursive: true})

    const runner = new LocalGuestRunner()
    const summary = await changes(['edit.txt', 'new dir', 'new dir/sub', "new dir/sub/it's\nodd", '-rf', 'link'], ['gone.txt', 'old', 'old/x', 'old/y'], runner)

    mirrored()
    expect(runner.calls.map((c) => c.file)).to.deep.equal(['tar', 'ssh'])
    expect(summary).to.deep.equal({files: 4, bytes: 10 + 3 + 4, removed: 2, full: false})
  })

  it('goes by what is on disk: a changed path that is gone is removed, a removed one that is back is replaced', async () => {
    makeTree(host, {flip: 'dir', 'flip/inner': 'file:i', 'was-file': 'file:f', vanished: 'file:v'})
    await fullSync()
    // A directory became a file and a file a directory (removed, then added again, in one window).
    rmSync(join(host, 'flip'), {recursive: true})
    writeFileSync(join(host, 'flip'), 'now a file')
    unlinkSync(join(host, 'was-file'))
    makeTree(host, {'was-file': 'dir', 'was-file/child': 'file:c'})
    unlinkSync(join(host, 'vanished'))

    await changes(['flip', 'was-file', 'was-file/child', 'vanished'], ['flip/inner', 'flip', 'was-file'])
    mirrored()
  })

  it('sends a changed directory whole (a tree moved in is reported once)', async () => {
    makeTree(host, {a: 'file:a'})
    await fullSync()
    makeTree(join(work, 'elsewhere'), {t: 'dir', 't/u': 'dir', 't/u/v.txt': 'file:v', 't/w': 'link:u'})
    renameSync(join(work, 'elsewhere', 't'), join(host, 'moved'))
    const summary = await changes(['moved'], [])
    mirrored()
    expect(summary.files).to.equal(2)
  })

  it('removes only (no archive, no tar) when nothing was added', async () => {
    makeTree(host, {a: 'file:a', b: 'file:b'})
    await fullSync()
    unlinkSync(join(host, 'b'))
    const runner = new LocalGuestRunner()
    await changes([], ['b'], runner)
    expect(runner.calls.map((c) => c.file)).to.deep.equal(['ssh'])
    expect(runner.calls[0]!.options.inputFile).to.equal(undefined)
    mirrored()
  })

  it('refuses a path with ".." or an absolute path before running anything', async () => {
    makeTree(host, {a: 'file:a'})
    for (const [changed, removed] of [[[], ['../outside']], [[], ['a/../../x']], [['/etc/passwd'], []], [[], ['a\0b']]]) {
      const runner = new LocalGuestRunner()
      const error = await changes(changed!, removed!, runner).catch((e: unknown) => e)
      expect(error, JSON.stringify([changed, removed])).to.be.instanceOf(VmError)
      expect((error as VmError).code).to.equal('FOLDER_SYNC_PATH_INVALID')
      expect(runner.calls).to.deep.equal([])
    }
  })

  it('never removes through a symlink that stands in the guest folder', async () => {
    makeTree(host, {a: 'file:a'})
    await fullSync()
    const outside = join(work, 'outside')
    makeTree(outside, {secret: 'file:s'})
    symlinkSync(outside, join(guest, 'lnk'))
    await changes([], ['lnk/secret'])
    expect(existsSync(join(outside, 'secret'))).to.equal(true)
    // The link itself may go: it is the folder's own entry.
    await changes([], ['lnk'])
    expect(existsSync(join(guest, 'lnk'))).to.equal(false)
    expect(existsSync(join(outside, 'secret'))).to.equal(true)
  })

  it('never extracts through a symlink in the guest folder: the parent directory replaces it', async () => {
    makeTree(host, {a: 'dir', 'a/f': 'file:f'})
    await fullSync()
    const outside = join(work, 'outside')
    mkdirSync(outside)
    rmSync(join(guest, 'a'), {recursive: true})
    symlinkSync(outside, join(guest, 'a'))
    writeFileSync(join(host, 'a/f'), 'changed')
    await changes(['a/f'], [])
    expect(readdirSync(outside)).to.deep.equal([])
    expect(lstatSync(join(guest, 'a')).isDirectory()).to.equal(true)
    mirrored()
  })

  it('applies excludes: excluded paths are neither sent nor removed, .vm/ never', async () => {
    exclude = ['node_modules/', '*.log']
    makeTree(host, {a: 'file:a'})
    await fullSync()
    // The guest built its own node_modules; the host has one too.
    makeTree(guest, {node_modules: 'dir', 'node_modules/guest.js': 'file:g'})
    makeTree(host, {node_modules: 'dir', 'node_modules/host.js': 'file:h', 'x.log': 'file:l', '.vm/id_ed25519': 'file:KEY', 'sub/.vm': 'dir'})
    const runner = new LocalGuestRunner()
    const summary = await changes(['node_modules', 'node_modules/host.js', 'x.log', '.vm/id_ed25519', 'sub/.vm'], ['node_modules', 'a.log'], runner)
    expect(runner.calls).to.deep.equal([])
    expect(summary).to.deep.equal({files: 0, bytes: 0, removed: 0, full: false})
    expect(readTree(guest)).to.deep.equal({a: 'file 644:a', node_modules: readTree(guest).node_modules, 'node_modules/guest.js': 'file 644:g'})
  })

  it('does a full sync when the folder itself is named', async () => {
    makeTree(host, {a: 'file:a'})
    await fullSync()
    writeFileSync(join(guest, 'guest-only'), 'x')
    const summary = await changes([''], [])
    expect(summary).to.deep.equal({files: 1, bytes: 1, removed: 0, full: true})
    mirrored()
  })

  it('does a full sync when the removal list would make the command too long', async () => {
    const names = Array.from({length: 3000}, (_, i) => `removed-file-with-a-rather-long-name-${i}.txt`)
    makeTree(host, Object.fromEntries(names.map((n) => [n, 'file:x'])))
    await fullSync()
    for (const name of names) unlinkSync(join(host, name))
    writeFileSync(join(host, 'left'), 'l')
    expect(names.join("' '").length).to.be.above(MAX_COMMAND_LENGTH)
    const summary = await changes(['left'], names)
    expect(summary.full).to.equal(true)
    mirrored()
  })

  it('fails, naming the folder, when the guest folder was never synced', async () => {
    makeTree(host, {a: 'file:a'})
    const error = await changes(['a'], []).catch((e: unknown) => e)
    expect((error as VmError).code).to.equal('FOLDER_SYNC_FAILED')
    expect((error as VmError).detail).to.contain('needs a full sync first')
  })
})
