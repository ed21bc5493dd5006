import {expect} from 'chai'

import {diskFullError} from '../../../src/errors.js'
import {MIN_POOL_FREE_BYTES, parsePoolFreeBytes} from '../../../src/machine/host.js'

describe('machine/host: free space', () => {
  it('reads the free bytes of `virsh pool-info --bytes`', () => {
    const text = 'Name:           vmfile\nState:          running\nCapacity:       270549831680\nAllocation:     25490329600\nAvailable:      245059502080\n\n'
    expect(parsePoolFreeBytes(text)).to.equal(245059502080)
    expect(parsePoolFreeBytes('Available:      228.23 GiB\n')).to.equal(undefined)
    expect(MIN_POOL_FREE_BYTES).to.equal(2 ** 30)
  })

  it('says the disk is full, where, and how to free it', () => {
    const error = diskFullError('/root/.cache/vm/boxes/tmp/x.part', new Error('ENOSPC'))
    expect(error.code).to.equal('DISK_FULL')
    expect(error.message).to.equal('The disk is full: /root/.cache/vm/boxes/tmp/x.part could not be written.')
    expect(error.hint).to.equal('Free space on the disk that holds /root/.cache/vm/boxes/tmp (`df -h /root/.cache/vm/boxes/tmp`); `vm box prune` removes unused boxes. Then run the command again.')
    expect(diskFullError('virsh vol-upload', undefined).hint).to.match(/^Free space \(`df -h`\);/)
  })
})
