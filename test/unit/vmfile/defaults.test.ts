import {expect} from 'chai'

import {declaredSettings, fillDefaults, type FilledMachine} from '../../../src/vmfile/defaults.js'
import {parseVmfile} from '../../../src/vmfile/parse.js'

function fill(source: string, env: Record<string, string> = {}): FilledMachine[] {
  return fillDefaults(parseVmfile(source).raw, env)
}

const file = (...path: string[]) => ({kind: 'file', path}) as const

describe('vmfile/defaults', () => {
  it('takes the machine value, then the top-level value, then the built-in default', () => {
    const [alpha, beta] = fill('box: debian-12\nmemory: 2GiB\nmachines:\n  alpha: {}\n  beta: {memory: 768MiB, disk: 20GiB}\n')
    expect(alpha).to.deep.equal({
      name: 'alpha',
      path: ['machines', 'alpha'],
      box: {value: 'debian-12', origin: file('box')},
      cpus: {value: 2, origin: {kind: 'default', key: 'cpus'}},
      memory: {value: '2GiB', origin: file('memory')},
      disk: {value: '10GiB', origin: {kind: 'default', key: 'disk'}},
      accelerator: {value: 'auto', origin: {kind: 'default', key: 'accelerator'}},
      optional: {},
    })
    expect(beta?.memory).to.deep.equal({value: '768MiB', origin: file('machines', 'beta', 'memory')})
    expect(beta?.disk).to.deep.equal({value: '20GiB', origin: file('machines', 'beta', 'disk')})
  })

  it('fills the settings without defaults (ports, folders, …) only where written: the machine value replaces the top-level one', () => {
    const [web, db] = fill('box: debian-12\nports: ["80:80"]\nmachines:\n  web: {ports: ["8080:80"], network: lab}\n  db: {}\n')
    expect(web?.optional).to.deep.equal({
      ports: {value: ['8080:80'], origin: file('machines', 'web', 'ports')},
      network: {value: 'lab', origin: file('machines', 'web', 'network')},
    })
    expect(db?.optional).to.deep.equal({ports: {value: ['80:80'], origin: file('ports')}})
  })

  it('makes one machine named "default" when there is no machines key', () => {
    const machines = fill('box: debian-12\ncpus: 4\n')
    expect(machines.map((m) => [m.name, m.path])).to.deep.equal([['default', []]])
    expect(machines[0]?.cpus).to.deep.equal({value: 4, origin: file('cpus')})
  })

  it('leaves box out when neither the machine nor the top level sets it', () => {
    const [web, db] = fill('machines:\n  web: {box: debian-12}\n  db: {}\n')
    expect(web?.box).to.deep.equal({value: 'debian-12', origin: file('machines', 'web', 'box')})
    expect(db).to.not.have.property('box')
  })

  it('keeps a value that is written but empty (validation reports it)', () => {
    const [web] = fill('box: debian-12\nmachines:\n  web:\n    memory:\n')
    expect(web?.memory).to.deep.equal({value: null, origin: file('machines', 'web', 'memory')})
  })

  it('treats an empty machine entry as a machine without settings and skips entries that are not maps', () => {
    expect(fill('box: a\nmachines:\n  web:\n  db: big\n  cache: {}\n').map((m) => m.name)).to.deep.equal(['web', 'cache'])
  })

  it('yields no machines when machines is not a non-empty map', () => {
    expect(fill('box: a\nmachines: {}\n')).to.deep.equal([])
    expect(fill('box: a\nmachines:\n')).to.deep.equal([])
    expect(fill('box: a\nmachines: [web]\n')).to.deep.equal([])
  })

  describe('VM_ACCELERATOR', () => {
    const source = 'box: a\naccelerator: kvm\nmachines:\n  web: {accelerator: tcg}\n  db: {}\n'

    it('overrides the accelerator of every machine', () => {
      const machines = fill(source, {VM_ACCELERATOR: 'auto'})
      expect(machines.map((m) => m.accelerator)).to.deep.equal([
        {value: 'auto', origin: {kind: 'env', name: 'VM_ACCELERATOR'}},
        {value: 'auto', origin: {kind: 'env', name: 'VM_ACCELERATOR'}},
      ])
    })

    it('is passed on unchecked', () => {
      expect(fill(source, {VM_ACCELERATOR: 'fast'})[0]?.accelerator.value).to.equal('fast')
    })

    it('counts as unset when empty', () => {
      const machines = fill(source, {VM_ACCELERATOR: ''})
      expect(machines.map((m) => m.accelerator.origin)).to.deep.equal([file('machines', 'web', 'accelerator'), file('accelerator')])
    })
  })

  it('declaredSettings lists every written setting, including ones every machine overrides', () => {
    const raw = parseVmfile('cpus: 0\nmachines:\n  web: {cpus: 2, box: a}\n  db: big\n  cache:\n').raw
    expect(declaredSettings(raw)).to.deep.equal([
      {key: 'cpus', sourced: {value: 0, origin: file('cpus')}},
      {key: 'box', sourced: {value: 'a', origin: file('machines', 'web', 'box')}},
      {key: 'cpus', sourced: {value: 2, origin: file('machines', 'web', 'cpus')}},
    ])
  })
})
