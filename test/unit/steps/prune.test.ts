import {expect} from 'chai'

import type {ManagedMachine} from '../../../src/machine/inspect-all.js'
import {describePruneTarget, domainOfVolume, planPrune} from '../../../src/steps/prune.js'

const BOX = `${'ab'.repeat(32)}.qcow2`

function machine(name: string, project: string, projectExists: boolean, domain = `${project.split('/').pop()}-${name}-0123abcd`): ManagedMachine {
  return {name, project, state: 'shutoff', ip: null, domain, projectExists}
}

describe('steps/prune', () => {
  it('names the domain of vm\'s machine volumes, and nothing else', () => {
    expect(domainOfVolume('shop-web-0123abcd.qcow2')).to.equal('shop-web-0123abcd')
    expect(domainOfVolume('shop-web-0123abcd-seed.iso')).to.equal('shop-web-0123abcd')
    expect(domainOfVolume(BOX)).to.equal(undefined)
    expect(domainOfVolume('someone-elses.qcow2')).to.equal(undefined)
    expect(domainOfVolume('notes.txt')).to.equal(undefined)
  })

  it('plans the machines of gone folders, volumes whose machine is gone, and networks nobody uses', () => {
    const gone = machine('web', '/srv/old', false)
    const kept = machine('db', '/srv/shop', true)
    const targets = planPrune({
      machines: [gone, kept],
      domains: [gone.domain, kept.domain, 'someone-elses-vm'],
      volumes: [
        BOX,
        `${gone.domain}.qcow2`, // goes with its machine, not twice
        `${kept.domain}.qcow2`,
        `${kept.domain}-seed.iso`,
        'shop-api-0123abcd.qcow2', // an up killed before it defined api
        'shop-api-0123abcd-seed.iso',
        'someone-elses.qcow2',
      ],
      networks: [
        {name: 'default', connections: 3, projectExists: true},
        {name: 'old-private-0123abcd', owner: '/srv/old', connections: 0, projectExists: false},
        {name: 'shop-private-0123abcd', owner: '/srv/shop', connections: 1, projectExists: true},
        {name: 'lab-private-89abcdef', owner: '/srv/lab', connections: 0, projectExists: true},
        {name: 'busy-private-89abcdef', owner: '/srv/busy', connections: 2, projectExists: false},
      ],
    })
    expect(targets.map(describePruneTarget)).to.deep.equal([
      'machine web of /srv/old (folder gone; shutoff): domain old-web-0123abcd and its disk',
      'volume shop-api-0123abcd.qcow2 (its machine is gone)',
      'volume shop-api-0123abcd-seed.iso (its machine is gone)',
      'private network old-private-0123abcd of /srv/old (no machines left)',
      'private network lab-private-89abcdef of /srv/lab (no machines left)',
    ])
  })

  it('plans nothing on a tidy host', () => {
    const kept = machine('db', '/srv/shop', true)
    expect(
      planPrune({
        machines: [kept],
        domains: [kept.domain],
        volumes: [BOX, `${kept.domain}.qcow2`, `${kept.domain}-seed.iso`],
        networks: [{name: 'shop-private-0123abcd', owner: '/srv/shop', connections: 1, projectExists: true}],
      }),
    ).to.deep.equal([])
  })
})
