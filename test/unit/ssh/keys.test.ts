import {chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {ExecaRunner} from '../../../src/exec/runner.js'
import {isKeyRecorded} from '../../../src/ssh/key-record.js'
import {adoptKey, ensureKeyPair, ForeignKeyError, generateKeyPair, keygenArgs, type ProjectKey} from '../../../src/ssh/keys.js'
import {UnsafeStateError} from '../../../src/util/owned-file.js'
import {rejectedVmError} from '../fixture.js'

/* These run the real ssh-keygen through the real runner (openssh-client). */

const ED25519_PUBLIC = /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} /
const PRIVATE = /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/

describe('ssh/keys', () => {
  let dir: string
  let records: string
  const runner = new ExecaRunner()
  const key = (path: string): ProjectKey => ({privatePath: path, recordDir: records, projectDir: '/home/ana/shop', fix: 'rm -r .vm'})

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vm-keys-'))
    records = await mkdtemp(join(tmpdir(), 'vm-key-records-'))
  })

  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
    await rm(records, {recursive: true, force: true})
  })

  const mode = async (path: string) => (await stat(path)).mode & 0o777

  it('keygenArgs: quiet, ed25519, no passphrase, the comment, the path', () => {
    expect(keygenArgs('/p/.vm/id_ed25519', 'vm project /p')).to.deep.equal(['-q', '-t', 'ed25519', '-N', '', '-C', 'vm project /p', '-f', '/p/.vm/id_ed25519'])
  })

  describe('ensureKeyPair', () => {
    it('makes an ed25519 pair, the private key at mode 0600, nothing else left in the folder', async () => {
      const path = join(dir, 'id_ed25519')
      await ensureKeyPair(runner, key(path), 'vm project /home/ana/my shop')
      expect(await readFile(path, 'utf8')).to.match(PRIVATE)
      const publicKey = await readFile(`${path}.pub`, 'utf8')
      expect(publicKey).to.match(ED25519_PUBLIC)
      expect(publicKey.endsWith(' vm project /home/ana/my shop\n')).to.equal(true)
      expect(await mode(path)).to.equal(0o600)
      expect((await readdir(dir)).sort()).to.deep.equal(['id_ed25519', 'id_ed25519.pub'])
    })

    it('is idempotent: a second call keeps the same key', async () => {
      const path = join(dir, 'id_ed25519')
      await ensureKeyPair(runner, key(path), 'c')
      const first = [await readFile(path, 'utf8'), await readFile(`${path}.pub`, 'utf8')]
      await ensureKeyPair(runner, key(path), 'c')
      expect([await readFile(path, 'utf8'), await readFile(`${path}.pub`, 'utf8')]).to.deep.equal(first)
    })

    it('fixes an existing key that others can read to 0600, without replacing it', async () => {
      const path = join(dir, 'id_ed25519')
      await ensureKeyPair(runner, key(path), 'c')
      const before = await readFile(path, 'utf8')
      await chmod(path, 0o644)
      await ensureKeyPair(runner, key(path), 'c')
      expect(await mode(path)).to.equal(0o600)
      expect(await readFile(path, 'utf8')).to.equal(before)
    })

    it('records the key it made in the user\'s own records, not in the project', async () => {
      const path = join(dir, 'id_ed25519')
      await ensureKeyPair(runner, key(path), 'c')
      expect(await isKeyRecorded(records, await readFile(path))).to.equal(true)
      expect((await readdir(records)).length).to.equal(1)
    })

    it('refuses a key it did not make (a committed .vm/), and leaves it alone', async () => {
      const path = join(dir, 'id_ed25519')
      await writeFile(path, 'the author of the repository has this key too', {mode: 0o644})
      const error = await rejectedVmError(ensureKeyPair(runner, key(path), 'c'))
      expect(error).to.be.instanceOf(ForeignKeyError)
      expect(error.message).to.equal(`vm did not make the key ${path}, so it will not put it on machines: whoever made it could log in to them.`)
      expect(error.hint).to.contain('rm -r .vm').and.contain('vm allow --key')
      expect(await mode(path)).to.equal(0o644)
    })

    it('uses a key adopted with adoptKey (vm allow --key)', async () => {
      const path = join(dir, 'id_ed25519')
      await writeFile(path, 'made by an older vm', {mode: 0o600})
      expect(await adoptKey(key(path))).to.equal(true)
      await ensureKeyPair(runner, key(path), 'c')
      expect(await readFile(path, 'utf8')).to.equal('made by an older vm')
    })

    it('refuses a key that is a symlink, and never chmods its target', async () => {
      const secret = join(dir, 'secret')
      await writeFile(secret, 'private', {mode: 0o644})
      const path = join(dir, 'id_ed25519')
      await symlink(secret, path)
      const error = await rejectedVmError(ensureKeyPair(runner, key(path), 'c'))
      expect(error).to.be.instanceOf(UnsafeStateError)
      expect(error.message).to.equal(`vm will not use ${path}: it is a symlink.`)
      expect(await mode(secret)).to.equal(0o644)
    })

    it('refuses a folder in place of the key', async () => {
      const path = join(dir, 'id_ed25519')
      await mkdir(path)
      expect((await rejectedVmError(ensureKeyPair(runner, key(path), 'c'))).message).to.equal(`vm will not use ${path}: it is not a file.`)
    })

    it('runs nothing when the key exists', async () => {
      const path = join(dir, 'id_ed25519')
      await writeFile(path, 'existing', {mode: 0o600})
      await adoptKey(key(path))
      const calls: string[] = []
      await ensureKeyPair({run: async (file) => (calls.push(file), {stdout: '', stderr: '', exitCode: 0})}, key(path), 'c')
      expect(calls).to.deep.equal([])
    })

    it('leaves no half-made key when ssh-keygen fails', async () => {
      const path = join(dir, 'id_ed25519')
      const failing = {
        run: async (_file: string, args: readonly string[]) => {
          const temp = args.at(-1)!
          await writeFile(temp, 'half')
          throw new Error('ssh-keygen died')
        },
      }
      let error: unknown
      await ensureKeyPair(failing, key(path), 'c').catch((e: unknown) => (error = e))
      expect((error as Error).message).to.equal('ssh-keygen died')
      expect(await readdir(dir)).to.deep.equal([])
    })
  })

  describe('generateKeyPair', () => {
    it('returns a fresh pair and leaves nothing on disk', async () => {
      const pair = await generateKeyPair(runner, dir, 'web host key')
      expect(pair.privateKey).to.match(PRIVATE)
      expect(pair.publicKey).to.match(ED25519_PUBLIC)
      expect(pair.publicKey.endsWith(' web host key')).to.equal(true)
      expect(await readdir(dir)).to.deep.equal([])
    })

    it('gives a different key each time', async () => {
      const [a, b] = [await generateKeyPair(runner, dir, 'x'), await generateKeyPair(runner, dir, 'x')]
      expect(a.publicKey).to.not.equal(b.publicKey)
    })
  })
})
