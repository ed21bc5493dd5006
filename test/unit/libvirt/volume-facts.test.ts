import {readFile} from 'node:fs/promises'

import {expect} from 'chai'

import {parseVolumeFacts} from '../../../src/libvirt/volume-facts.js'

describe('libvirt/volume-facts', () => {
  it('reads the backing file and capacity of an overlay (captured from libvirt 9.0)', async () => {
    const xml = await readFile(new URL('fixtures/vol-dumpxml-overlay.xml', import.meta.url), 'utf8')
    expect(parseVolumeFacts(xml)).to.deep.equal({backingPath: '/tmp/scratch-vf/base.qcow2', capacity: 10485760})
  })

  it('has no backing path for a plain volume', () => {
    expect(parseVolumeFacts("<volume><name>b</name><capacity unit='bytes'>5</capacity></volume>")).to.deep.equal({capacity: 5})
  })
})
