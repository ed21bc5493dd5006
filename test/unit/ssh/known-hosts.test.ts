import {chmod, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {pinHostKey, unpinHostKey, withHostKey, withoutHost} from '../../../src/ssh/known-hosts.js'

const ALIAS = 'shop-web-1a2b3c4d'
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewNewNewNewNewNewNewNewNewNewNewNewNew00 web host key'
const PINNED = `${ALIAS} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewNewNewNewNewNewNewNewNewNewNewNewNew00`

const OTHERS = [
  '# kept: a comment',
  'shop-db-1a2b3c4d ssh-ed25519 AAAAdb',
  `${ALIAS}x ssh-ed25519 AAAAprefix`,
  '|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ssh-ed25519 AAAAhashed',
]

describe('ssh/known-hosts', () => {
  describe('withHostKey', () => {
    it('pins the alias to the key type and key (no comment) in an empty file', () => {
      expect(withHostKey('', ALIAS, `${KEY}\n`)).to.equal(`${PINNED}\n`)
    })

    it("replaces only the alias's lines, keeping every other line in order", () => {
      const text = [OTHERS[0], `${ALIAS} ssh-ed25519 AAAAold`, OTHERS[1], `10.0.0.1,${ALIAS} ssh-rsa AAAAold2`, OTHERS[2], OTHERS[3], ''].join('\n')
      expect(withHostKey(text, ALIAS, KEY)).to.equal([...OTHERS, PINNED, ''].join('\n'))
    })

    it('drops blank lines and always ends in one newline', () => {
      expect(withHostKey('\n\nshop-db-1a2b3c4d ssh-ed25519 AAAAdb', ALIAS, KEY)).to.equal(`shop-db-1a2b3c4d ssh-ed25519 AAAAdb\n${PINNED}\n`)
    })

    it('refuses something that is not an OpenSSH public key', () => {
      expect(() => withHostKey('', ALIAS, 'ssh-ed25519')).to.throw('not an OpenSSH public key: ssh-ed25519')
      expect(() => withHostKey('', ALIAS, '  ')).to.throw('not an OpenSSH public key')
    })
  })

  describe('withoutHost', () => {
    it("removes the alias's lines only", () => {
      const text = [OTHERS[0], PINNED, OTHERS[1], `${ALIAS},10.0.0.1 ssh-rsa AAAAold2`, OTHERS[2], OTHERS[3]].join('\n')
      expect(withoutHost(text, ALIAS)).to.equal([...OTHERS, ''].join('\n'))
    })

    it('gives an empty file when nothing else is left', () => {
      expect(withoutHost(`${PINNED}\n`, ALIAS)).to.equal('')
    })
  })

  describe('pinHostKey and unpinHostKey (files)', () => {
    let dir: string
    let path: string

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vm-known-hosts-'))
      path = join(dir, 'known_hosts')
    })

    afterEach(async () => {
      await rm(dir, {recursive: true, force: true})
    })

    const mode = async () => (await stat(path)).mode & 0o777

    it('creates the file with mode 0600', async () => {
      await pinHostKey(path, ALIAS, KEY)
      expect(await readFile(path, 'utf8')).to.equal(`${PINNED}\n`)
      expect(await mode()).to.equal(0o600)
    })

    it('replaces an old pin, keeps the others, and makes a 0644 file 0600', async () => {
      await writeFile(path, `${OTHERS[1]}\n${ALIAS} ssh-ed25519 AAAAold\n`)
      await chmod(path, 0o644)
      await pinHostKey(path, ALIAS, KEY)
      expect(await readFile(path, 'utf8')).to.equal(`${OTHERS[1]}\n${PINNED}\n`)
      expect(await mode()).to.equal(0o600)
    })

    it('unpins, keeping the others and mode 0600', async () => {
      await writeFile(path, `${PINNED}\n${OTHERS[1]}\n`)
      await unpinHostKey(path, ALIAS)
      expect(await readFile(path, 'utf8')).to.equal(`${OTHERS[1]}\n`)
      expect(await mode()).to.equal(0o600)
    })

    it('unpinning without a file creates none', async () => {
      await unpinHostKey(path, ALIAS)
      expect(await stat(path).catch((error: NodeJS.ErrnoException) => error.code)).to.equal('ENOENT')
    })

    it('keeps every pin when machines pin their keys at the same time (the lost-update race)', async () => {
      const aliases = Array.from({length: 8}, (_, i) => `shop-m${i}-1a2b3c4d`)
      await Promise.all(aliases.map((alias) => pinHostKey(path, alias, KEY)))
      const pinned = (await readFile(path, 'utf8')).trim().split('\n').map((line) => line.split(' ')[0])
      expect(pinned.sort()).to.deep.equal([...aliases].sort())
      await Promise.all(aliases.slice(0, 4).map((alias) => unpinHostKey(path, alias)))
      expect((await readFile(path, 'utf8')).trim().split('\n')).to.have.length(4)
    })

    it('leaves no temp files behind', async () => {
      await pinHostKey(path, ALIAS, KEY)
      await unpinHostKey(path, ALIAS)
      const {readdir} = await import('node:fs/promises')
      expect(await readdir(dir)).to.deep.equal(['known_hosts'])
    })
  })
})
