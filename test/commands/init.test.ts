import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {ensureBuilt, makeProject, ROOT, type Project, vm} from './helpers.js'

describe('vm init', () => {
  let project: Project
  let template: string

  before(async function () {
    this.timeout(180_000)
    await ensureBuilt()
    template = await readFile(join(ROOT, 'templates/single.Vmfile'), 'utf8')
  })

  beforeEach(async () => {
    project = await makeProject()
  })

  afterEach(async () => {
    await project.cleanup()
  })

  const read = (name: string) => readFile(join(project.dir, name), 'utf8')

  it('writes the commented template and a .gitignore with .vm/, without touching libvirt', async () => {
    const result = await vm(project, ['init'])
    expect(result.stderr).to.equal('')
    expect(result.stdout).to.equal(`Wrote ${project.dir}/Vmfile. Next: \`vm up\`.\n`)
    expect(result.exitCode).to.equal(0)
    expect(await read('Vmfile')).to.equal(template)
    expect(await read('.gitignore')).to.equal("# vm's per-project state (keys, known hosts)\n.vm/\n")
    expect(result.calls).to.deep.equal([])
  })

  it('--box sets the box line only', async () => {
    await vm(project, ['init', '--box', 'ubuntu-24.04'])
    const written = await read('Vmfile')
    expect(written).to.equal(template.replace(/^box: debian-12$/m, 'box: ubuntu-24.04'))
    expect(written).to.not.equal(template)
  })

  it('refuses to overwrite a Vmfile without --force (exit 1), and overwrites with it', async () => {
    await writeFile(join(project.dir, 'Vmfile'), 'box: mine\n')
    const refused = await vm(project, ['init'])
    expect(refused.exitCode).to.equal(1)
    expect(refused.stdout).to.equal('')
    expect(refused.stderr).to.equal('Error: A Vmfile already exists here.\nHint: Edit it, or run `vm init --force` to start over.\n')
    expect(await read('Vmfile')).to.equal('box: mine\n')

    const forced = await vm(project, ['init', '--force'])
    expect(forced.exitCode).to.equal(0)
    expect(await read('Vmfile')).to.equal(template)
  })

  it('adds .vm/ to an existing .gitignore once, after its last line', async () => {
    await writeFile(join(project.dir, '.gitignore'), 'node_modules')
    await vm(project, ['init'])
    await vm(project, ['init', '--force'])
    expect(await read('.gitignore')).to.equal("node_modules\n# vm's per-project state (keys, known hosts)\n.vm/\n")
  })

  it('leaves a .gitignore that already ignores /.vm alone', async () => {
    await writeFile(join(project.dir, '.gitignore'), 'dist/\n/.vm\n')
    await vm(project, ['init'])
    expect(await read('.gitignore')).to.equal('dist/\n/.vm\n')
  })

  it('refuses a --box that is not a box name: exit 2', async () => {
    const result = await vm(project, ['init', '--box', '../etc'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal('Error: --box ../etc is not a box name.\nHint: Box names look like debian-12 or ubuntu-24.04.\n')
    expect(await readFile(join(project.dir, 'Vmfile')).catch((error: NodeJS.ErrnoException) => error.code)).to.equal('ENOENT')
  })

  it('--template lab writes the lab, with --box in place of its box', async () => {
    const result = await vm(project, ['init', '--template', 'lab', '--box', 'ubuntu-lts'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const lab = await readFile(join(ROOT, 'templates/lab.Vmfile'), 'utf8')
    expect(await read('Vmfile')).to.equal(lab.replace(/^box: debian-12$/m, 'box: ubuntu-lts'))
  })

  it('an unknown template: exit 2 listing the templates', async () => {
    const result = await vm(project, ['init', '--template', 'nope'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal('Error: There is no template named "nope".\nHint: Templates: docker, lab, reference, single.\n')
  })
})
