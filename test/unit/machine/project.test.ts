import {expect} from 'chai'

import {projectOf, selectMachines, selectOneMachine} from '../../../src/machine/project.js'
import type {MachineConfig, Vmfile} from '../../../src/vmfile/types.js'
import {thrownVmError} from '../fixture.js'

function machine(name: string): MachineConfig {
  return {name, box: {kind: 'catalog', name: 'debian-12'}, cpus: 2, memoryBytes: 2 ** 30, diskBytes: 10 * 2 ** 30, accelerator: 'auto', folders: [], ports: [], provisioners: []}
}

function project(...names: string[]) {
  const vmfile: Vmfile = {path: '/home/ana/shop/Vmfile', projectDir: '/home/ana/shop', machines: names.map(machine)}
  return projectOf(vmfile)
}

describe('machine/project', () => {
  it('projectOf: the folder and its .vm paths', () => {
    const p = project('web')
    expect(p.dir).to.equal('/home/ana/shop')
    expect(p.paths).to.deep.equal({
      stateDir: '/home/ana/shop/.vm',
      privateKey: '/home/ana/shop/.vm/id_ed25519',
      publicKey: '/home/ana/shop/.vm/id_ed25519.pub',
      knownHosts: '/home/ana/shop/.vm/known_hosts',
      lockFile: '/home/ana/shop/.vm/lock',
      tmpDir: '/home/ana/shop/.vm/tmp',
    })
  })

  describe('selectMachines', () => {
    it('takes all machines, in Vmfile order, when none is named', () => {
      expect(selectMachines(project('web', 'db', 'cache'), []).map((m) => m.name)).to.deep.equal(['web', 'db', 'cache'])
    })

    it('takes the named ones in the order given, each once', () => {
      expect(selectMachines(project('web', 'db', 'cache'), ['cache', 'web', 'cache']).map((m) => m.name)).to.deep.equal(['cache', 'web'])
    })

    it('refuses an unknown name: usage error (exit 2) listing the machines', () => {
      const error = thrownVmError(() => selectMachines(project('web', 'db'), ['web', 'wbe']))
      expect(error.code).to.equal('MACHINE_NOT_FOUND')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.equal('No machine named "wbe" in /home/ana/shop/Vmfile.')
      expect(error.hint).to.equal('Machines here: web, db.')
    })
  })

  describe('selectOneMachine', () => {
    it('takes the only machine when none is named', () => {
      expect(selectOneMachine(project('default'), undefined).name).to.equal('default')
    })

    it('takes the named one', () => {
      expect(selectOneMachine(project('web', 'db'), 'db').name).to.equal('db')
    })

    it('refuses to guess among several: usage error saying which ones', () => {
      const error = thrownVmError(() => selectOneMachine(project('web', 'db'), undefined))
      expect(error.code).to.equal('MACHINE_AMBIGUOUS')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.equal('This project has 2 machines; say which one.')
      expect(error.hint).to.equal('One of: web, db.')
    })

    it('refuses an unknown name like selectMachines', () => {
      const error = thrownVmError(() => selectOneMachine(project('web'), 'db'))
      expect(error.code).to.equal('MACHINE_NOT_FOUND')
      expect(error.hint).to.equal('Machines here: web.')
    })
  })
})
