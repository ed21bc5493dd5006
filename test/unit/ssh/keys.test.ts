import {chmod, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {ExecaRunner} from '../../../src/exec/runner.js'
import {ensureKeyPair, generateKeyPair, keygenArgs} from '../../../src/ssh/keys.js'

/* These run the real ssh-keygen through the real runner (openssh-client). */

const ED25519_PUBLIC = /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} /
const PRIVATE = /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/

describe('ssh/keys', () => {
  let dir: string
  const runner = new ExecaRunner()

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vm-keys-'))
  })

  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  const mode = async (path: string) => (await stat(path)).mode & 0o777

  it('keygenArgs: quiet, ed25519, no passphrase, the comment, the path', () => {
    expect(keygenArgs('/p/.vm/id_ed25519', 'vm project /p')).to.deep.equal(['-q', '-t', 'ed25519', '-N', '', '-C', 'vm project /p', '-f', '/p/.vm/id_ed25519'])
  })

  describe('ensureKeyPair', () => {
    it('makes an ed25519 pair, the private key at mode 0600, nothing else left in the folder', async () => {
      const path = join(dir, 'id_ed25519')
      await ensureKeyPair(runner, path, 'vm project /home/ana/my shop')
      expect(await readFile(path, 'utf8')).to.match(PRIVATE)
      const publicKey = await readFile(`${path}.pub`, 'utf8')
      expect(publicKey).to.match(ED25519_PUBLIC)
      expect(publicKey.endsWith(' vm project /home/ana/my shop\n')).to.equal(true)
      expect(await mode(path)).to.equal(0o600)
      expect((await readdir(dir)).sort()).to.deep.equal(['id_ed25519', 'id_ed25519.pub'])
    })

    it('is idempotent: a second call keeps the same key', async () => {
      const path = join(dir, 'id_ed25519')
      await ensureKeyPair(runner, path, 'c')
      const first = [await readFile(path, 'utf8'), await readFile(`${path}.pub`, 'utf8')]
      await ensureKeyPair(runner, path, 'c')
      expect([await readFile(path, 'utf8'), await readFile(`${path}.pub`, 'utf8')]).to.deep.equal(first)
    })

    it('fixes an existing key that others can read to 0600, without replacing it', async () => {
      const path = join(dir, 'id_ed25519')
      await ensureKeyPair(runner, path, 'c')
      const before = await readFile(path, 'utf8')
      await chmod(path, 0o644)
      await ensureKeyPair(runner, path, 'c')
      expect(await mode(path)).to.equal(0o600)
      expect(await readFile(path, 'utf8')).to.equal(before)
    })

    it('runs nothing when the key exists', async () => {
      const path = join(dir, 'id_ed25519')
      await writeFile(path, 'existing', {mode: 0o600})
      const calls: string[] = []
      await ensureKeyPair({run: async (file) => (calls.push(file), {stdout: '', stderr: '', exitCode: 0})}, path, 'c')
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
      await ensureKeyPair(failing, path, 'c').catch((e: unknown) => (error = e))
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
