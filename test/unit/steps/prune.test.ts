import {expect} from 'chai'

import type {ManagedMachine} from '../../../src/machine/inspect-all.js'
import {countLeftToOthers, describePruneTarget, domainOfVolume, planPrune, pruneScope} from '../../../src/steps/prune.js'

const BOX = `${'ab'.repeat(32)}.qcow2`

function machine(name: string, project: string, projectExists: boolean, domain = `${project.split('/').pop()}-${name}-0123abcd`, ownerUid: number | null = 1000): ManagedMachine {
  return {name, project, state: 'shutoff', ip: null, domain, projectExists, ...(ownerUid === null ? {} : {ownerUid})}
}

const ALL = {allUsers: true} as const

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
      scope: ALL,
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
        scope: ALL,
        machines: [kept],
        domains: [kept.domain],
        volumes: [BOX, `${kept.domain}.qcow2`, `${kept.domain}-seed.iso`],
        networks: [{name: 'shop-private-0123abcd', owner: '/srv/shop', connections: 1, projectExists: true}],
      }),
    ).to.deep.equal([])
  })

  describe('on a host several users share', () => {
    const mine = machine('web', '/home/ana/old', false, 'old-web-0123abcd', 1000)
    const theirs = machine('web', '/home/bob/old', false, 'old-web-89abcdef', 1001)
    const unrecorded = machine('db', '/srv/older', false, 'older-db-0123abcd', null)
    const facts = {
      machines: [mine, theirs, unrecorded],
      domains: [mine.domain, theirs.domain, unrecorded.domain],
      volumes: [],
      networks: [
        {name: 'old-private-0123abcd', owner: '/home/ana/old', ownerUid: 1000, connections: 0, projectExists: false},
        {name: 'old-private-89abcdef', owner: '/home/bob/old', ownerUid: 1001, connections: 0, projectExists: false},
        {name: 'older-private-01234567', owner: '/srv/older', connections: 0, projectExists: false},
      ],
    }

    it("plans only the caller's own machines and networks, and counts the others it left", () => {
      const scope = {allUsers: false, uid: 1000} as const
      expect(planPrune({...facts, scope}).map(describePruneTarget)).to.deep.equal([
        'machine web of /home/ana/old (folder gone; shutoff): domain old-web-0123abcd and its disk',
        'private network old-private-0123abcd of /home/ana/old (no machines left)',
      ])
      expect(countLeftToOthers({...facts, scope})).to.equal(2)
    })

    it('plans everyone\'s with --all-users, those without a recorded user too', () => {
      expect(planPrune({...facts, scope: ALL})).to.have.length(6)
      expect(countLeftToOthers({...facts, scope: ALL})).to.equal(0)
    })

    it('gives --all-users to root alone; a session connection is all the user\'s own', () => {
      expect(pruneScope('qemu:///system', false, 1000)).to.deep.equal({allUsers: false, uid: 1000})
      expect(pruneScope('qemu+ssh://lab/system', false, 1000)).to.deep.equal({allUsers: false, uid: 1000})
      expect(pruneScope('qemu:///system', true, 0)).to.deep.equal({allUsers: true})
      expect(pruneScope('qemu:///session', false, 1000)).to.deep.equal({allUsers: true})
      expect(() => pruneScope('qemu:///system', true, 1000)).to.throw(/Only root may prune other users' machines/)
    })
  })
})
