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

  it('records the path and its folder', () => {
    const {vmfile} = resolveVmfile('box: debian-12\n', '/home/ann/project/Vmfile', {})
    expect(vmfile?.path).to.equal('/home/ann/project/Vmfile')
    expect(vmfile?.projectDir).to.equal('/home/ann/project')
  })
})
