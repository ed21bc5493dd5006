import {expect} from 'chai'

import {resolveVmfile} from '../../../src/vmfile/resolve.js'

describe('vmfile/resolve', () => {
  it('stops after syntax errors: no checks on a broken document', () => {
    const {vmfile, problems} = resolveVmfile('cpus: 0\ncpus: 1\nmemroy: x\n', '/p/Vmfile', {})
    expect(vmfile).to.equal(undefined)
    expect(problems.map((p) => p.path)).to.deep.equal(['cpus'])
  })

  it('keeps YAML warnings and still resolves', () => {
    const {vmfile, problems} = resolveVmfile('box: !!foo debian-12\ncpu: 2\n', '/p/Vmfile', {})
    expect(vmfile?.machines.map((m) => m.name)).to.deep.equal(['default'])
    expect(problems.map((p) => [p.severity, p.path, p.line])).to.deep.equal([
      ['warning', '', 1],
      ['warning', 'cpu', 2],
    ])
  })

  it('a binary file: one problem at the first NUL byte, not a YAML error per garbled line', () => {
    const source = `\u007fELF\u0002\u0001\u0001${'\u0000'.repeat(9)}\u001b[2J\n${'garbage: [\n'.repeat(500)}`
    const {vmfile, problems} = resolveVmfile(source, '/p/Vmfile', {})
    expect(vmfile).to.equal(undefined)
    expect(problems).to.deep.equal([{severity: 'error', path: '', message: 'expected a text file (YAML), found a NUL byte: this is a binary file', line: 1, col: 8}])
  })

  it('records the path and its folder', () => {
    const {vmfile} = resolveVmfile('box: debian-12\n', '/home/ann/project/Vmfile', {})
    expect(vmfile?.path).to.equal('/home/ann/project/Vmfile')
    expect(vmfile?.projectDir).to.equal('/home/ann/project')
  })
})
