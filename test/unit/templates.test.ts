import {copyFile, mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {TEMPLATES_DIR, templateNames} from '../../src/commands/init.js'
import {loadVmfile} from '../../src/vmfile/load.js'
import {
  ANSIBLE_KEYS,
  BOX_KEYS,
  BUILTIN_DEFAULTS,
  FILE_KEYS,
  FOLDER_KEYS,
  MACHINE_KEYS,
  PRIVATE_NETWORK_KEYS,
  PROVISIONER_KINDS,
  SHELL_KEYS,
  TOP_LEVEL_KEYS,
} from '../../src/vmfile/schema.js'

describe('templates/', () => {
  it('has the starters vm init offers', async () => {
    expect(await templateNames()).to.include.members(['single', 'lab', 'docker', 'reference'])
  })

  it('every template is a Vmfile without one error or warning', async () => {
    for (const name of await templateNames()) {
      const dir = await mkdtemp(join(tmpdir(), 'vm-template-'))
      try {
        await copyFile(join(TEMPLATES_DIR, `${name}.Vmfile`), join(dir, 'Vmfile'))
        const loaded = await loadVmfile(join(dir, 'Vmfile'), {})
        expect(loaded.problems, name).to.deep.equal([])
        expect(loaded.vmfile, name).to.not.equal(undefined)
      } finally {
        await rm(dir, {recursive: true, force: true})
      }
    }
  })

  it('the reference documents every key of the schema, and every default as it is', async () => {
    const text = await readFile(join(TEMPLATES_DIR, 'reference.Vmfile'), 'utf8')
    // A key counts when it appears as "key:" in a setting or in a commented example (a list item too).
    const nested = [...BOX_KEYS, ...FOLDER_KEYS, ...PROVISIONER_KINDS, ...SHELL_KEYS, ...FILE_KEYS, ...ANSIBLE_KEYS, ...PRIVATE_NETWORK_KEYS]
    for (const key of new Set([...TOP_LEVEL_KEYS, ...MACHINE_KEYS, ...nested])) {
      expect(text, `the reference does not mention ${key}`).to.match(new RegExp(`^[ #-]*${key}:`, 'm'))
    }
    for (const [key, value] of Object.entries(BUILTIN_DEFAULTS)) {
      expect(text, `the reference does not give ${key}'s default`).to.match(new RegExp(`^${key}: ${value}$`, 'm'))
      expect(text).to.include(`Default: ${value}`)
    }
  })
})
