import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {loadUserCloudInit} from '../../../src/cloudinit/user-cloud-init.js'
import {VmError} from '../../../src/errors.js'

describe('cloudinit/user-cloud-init', () => {
  let dir: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vm-user-cloud-init-'))
  })

  after(() => {
    rmSync(dir, {recursive: true, force: true})
  })

  let count = 0
  function file(text: string): string {
    const path = join(dir, `user-${count++}.yaml`)
    writeFileSync(path, text)
    return path
  }

  async function failure(path: string): Promise<VmError> {
    try {
      await loadUserCloudInit({kind: 'file', path})
    } catch (error) {
      expect(error).to.be.instanceOf(VmError)
      return error as VmError
    }
    throw new Error(`${path} loaded`)
  }

  describe('inline', () => {
    it('gives the config as plain objects, Maps included', async () => {
      const config = new Map<unknown, unknown>([
        ['packages', ['git']],
        ['write_files', [new Map([['path', '/etc/motd'], ['content', 'hi']])]],
      ])
      expect(await loadUserCloudInit({kind: 'inline', config: config as unknown as Record<string, unknown>})).to.deep.equal({
        packages: ['git'],
        write_files: [{path: '/etc/motd', content: 'hi'}],
      })
      expect(await loadUserCloudInit({kind: 'inline', config: {runcmd: [['true']]}})).to.deep.equal({runcmd: [['true']]})
    })
  })

  describe('file', () => {
    it('reads a #cloud-config file as YAML 1.1, as cloud-init does', async () => {
      const path = file('#cloud-config\npackage_update: yes\nssh_pwauth: off\nwrite_files:\n  - path: /x\n    permissions: 0644\n    content: |\n      a\nruncmd: [[echo, "on"]]\n')
      expect(await loadUserCloudInit({kind: 'file', path})).to.deep.equal({
        package_update: true,
        ssh_pwauth: false,
        write_files: [{path: '/x', permissions: 0o644, content: 'a\n'}],
        runcmd: [['echo', 'on']],
      })
    })

    it('accepts trailing white space (and CRLF) after #cloud-config, and an empty config', async () => {
      expect(await loadUserCloudInit({kind: 'file', path: file('#cloud-config  \t\r\npackages: [git]\r\n')})).to.deep.equal({packages: ['git']})
      expect(await loadUserCloudInit({kind: 'file', path: file('#cloud-config\n')})).to.deep.equal({})
      expect(await loadUserCloudInit({kind: 'file', path: file('#cloud-config')})).to.deep.equal({})
    })

    it('keeps dates as the text written (cloud-init passes them on as text)', async () => {
      const path = file('#cloud-config\nusers:\n  - name: bob\n    expiredate: 2030-01-01\n')
      expect(await loadUserCloudInit({kind: 'file', path})).to.deep.equal({users: [{name: 'bob', expiredate: '2030-01-01'}]})
    })

    it('expands YAML aliases and merge keys', async () => {
      const path = file('#cloud-config\nbase: &b {owner: root}\nwrite_files:\n  - <<: *b\n    path: /x\n')
      expect(await loadUserCloudInit({kind: 'file', path})).to.deep.equal({base: {owner: 'root'}, write_files: [{owner: 'root', path: '/x'}]})
    })

    for (const [kind, firstLine] of [
      ['a shell script', '#!/bin/bash'],
      ['cloud-config-archive', '#cloud-config-archive'],
      ['a jinja template', '## template: jinja'],
      ['MIME multi-part', 'Content-Type: multipart/mixed; boundary="x"'],
      ['an #include list', '#include'],
      ['no header', 'packages: [git]'],
      ['an indented header', ' #cloud-config'],
    ]) {
      it(`refuses ${kind}, saying what it found`, async () => {
        const path = file(`${firstLine}\necho hi\n`)
        const error = await failure(path)
        expect(error.code).to.equal('USER_CLOUD_INIT_INVALID')
        expect(error.exitCode).to.equal(2)
        expect(error.message).to.equal(`${path} does not start with the line #cloud-config: its first line is ${JSON.stringify(firstLine)}.`)
        expect(error.hint).to.contain('vm merges only #cloud-config files').and.contain('shell scripts, MIME multi-part, #include or jinja')
      })
    }

    it('reports YAML errors as PATH:LINE:COL message, the first in the message and the others in the detail', async () => {
      const path = file('#cloud-config\na: 1\n b: 2\nc: [\n')
      const error = await failure(path)
      expect(error.code).to.equal('USER_CLOUD_INIT_INVALID')
      expect(error.message).to.equal(`${path}:2:4 Nested mappings are not allowed in compact mappings`)
      expect(error.detail).to.equal(
        [`${path}:2:4 Implicit keys need to be on a single line`, `${path}:5:1 Flow sequence in block collection must be sufficiently indented and end with a ]`].join('\n'),
      )
      expect(error.hint).to.equal('Fix the YAML; vm reads it as YAML 1.1, like cloud-init.')
      const duplicate = file('#cloud-config\npackages: [a]\nruncmd: []\npackages: [b]\n')
      expect((await failure(duplicate)).message).to.equal(`${duplicate}:4:1 Map keys must be unique`)
    })

    it('refuses a top level that is not a map', async () => {
      const path = file('#cloud-config\n- packages\n')
      const error = await failure(path)
      expect(error.code).to.equal('USER_CLOUD_INIT_INVALID')
      expect(error.message).to.equal(`${path}: expected a map of cloud-config keys (packages, runcmd, ...) at the top level, found a list.`)
    })

    it('refuses an alias bomb instead of expanding it', async () => {
      const lines = ['#cloud-config', 'a: &a ["x","x","x","x","x","x","x","x","x"]']
      for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`)
      const error = await failure(file(`${lines.join('\n')}\n`))
      expect(error.code).to.equal('USER_CLOUD_INIT_INVALID')
      expect(error.message).to.match(/alias/i)
    })

    it('names the path and the Vmfile key when the file is missing', async () => {
      const path = join(dir, 'missing.yaml')
      const error = await failure(path)
      expect(error.code).to.equal('USER_CLOUD_INIT_MISSING')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.equal(`The cloud-config file ${path} (cloud_init in the Vmfile) does not exist.`)
    })

    it('says why a file cannot be read', async () => {
      const path = join(dir, 'a-folder')
      mkdirSync(path)
      const error = await failure(path)
      expect(error.code).to.equal('USER_CLOUD_INIT_UNREADABLE')
      expect(error.message).to.contain(path).and.contain('cloud_init in the Vmfile').and.contain('EISDIR')
    })
  })
})
