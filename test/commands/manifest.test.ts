import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'
import {execa} from 'execa'

import {ensureBuilt, ROOT} from './helpers.js'

describe('oclif.manifest.json', () => {
  before(async function () {
    this.timeout(180_000)
    await ensureBuilt()
  })

  it('is committed and equal to what `npm run build` generates', async () => {
    const committed = await execa('git', ['show', 'HEAD:oclif.manifest.json'], {cwd: ROOT, reject: false})
    if (committed.exitCode !== 0) {
      expect.fail(`oclif.manifest.json is not committed (git show HEAD:oclif.manifest.json: ${String(committed.stderr).trim()}); run \`npm run build\` and commit it.`)
    }
    const generated = await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8')
    expect(generated, 'oclif.manifest.json is stale: run `npm run build` and commit it').to.equal(String(committed.stdout) + (generated.endsWith('\n') && !String(committed.stdout).endsWith('\n') ? '\n' : ''))
  })
})
