import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {useProject, vm} from './helpers.js'

describe('vm validate', () => {
  const project = useProject('box: debian\nmachines:\n  alpha: {}\n  beta:\n    memory: 768MiB\n')

  it('a good Vmfile: exit 0, the machines and their boxes (aliases resolved), and not one virsh call', async () => {
    const result = await vm(project(), ['validate'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('Vmfile is valid: 2 machines, alpha (debian-13), beta (debian-13).\n')
    expect(result.calls).to.deep.equal([])
  })

  it('--json gives the resolved machines', async () => {
    const result = await vm(project(), ['validate', '--json'])
    const json = JSON.parse(result.stdout) as {machines: Array<{name: string; box: string; memoryBytes: number}>}
    expect(json.machines.map((m) => [m.name, m.box, m.memoryBytes])).to.deep.equal([
      ['alpha', 'debian-13', 2 ** 30],
      ['beta', 'debian-13', 768 * 2 ** 20],
    ])
  })

  it('errors: exit 2 with every problem and its place', async () => {
    await writeFile(join(project().dir, 'Vmfile'), 'box: debian-12\ncpus: lots\n')
    const result = await vm(project(), ['validate'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.match(/^Error: Vmfile has 1 error\.$/m)
    expect(result.stderr).to.match(/^Vmfile:2:7 cpus: /m)
  })

  it('a binary file named Vmfile: exit 2, one short error, and no control byte reaches the terminal', async () => {
    const binary = Buffer.concat([Buffer.from('\u007fELF\u0002\u0001\u0001\u0000\u0000\u001b[2J\u001b]0;owned\u0007'), Buffer.alloc(4096, 0x9b)])
    await writeFile(join(project().dir, 'Vmfile'), binary)
    const result = await vm(project(), ['validate'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.match(/^Vmfile:1:8: expected a text file \(YAML\), found a NUL byte: this is a binary file$/m)
    // eslint-disable-next-line no-control-regex
    expect(result.stderr).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/)
    expect(result.stderr.length).to.be.below(1000)
  })

  it('an unknown box: exit 2 naming the machine, with a did-you-mean', async () => {
    await writeFile(join(project().dir, 'Vmfile'), 'box: debain-12\n')
    const result = await vm(project(), ['validate'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.match(/^Error: Vmfile machines\.default\.box: There is no box named "debain-12"; did you mean debian-12\?$/m)
  })

  it('warnings pass, unless --strict', async () => {
    await writeFile(join(project().dir, 'Vmfile'), 'box: debian-12\nmemroy: 1GiB\n')
    const lenient = await vm(project(), ['validate'])
    expect(lenient.exitCode).to.equal(0)
    expect(lenient.stderr).to.match(/^Vmfile:2:1 warning: memroy: .*did you mean memory\?$/m)
    const strict = await vm(project(), ['validate', '--strict'])
    expect(strict.exitCode).to.equal(2)
  })
})
