import {expect} from 'chai'

import {describeCommandLine, findFlockHolder, parseFlockEntries, splitDevice} from '../../../src/util/proc-locks.js'

// Captured from /proc/locks on Debian 12 (Linux 6.1) while `flock --no-fork FILE cat` held a lock
// and another flock waited for it.
const PROC_LOCKS = [
  '1: POSIX  ADVISORY  WRITE 8144 fe:00:1483299 0 0',
  '8: FLOCK  ADVISORY  WRITE 8376 fe:00:2154115 0 EOF',
  '8: -> FLOCK  ADVISORY  WRITE 8390 fe:00:2154115 0 EOF',
  '9: FLOCK  ADVISORY  WRITE 9001 103:02:2154115 0 EOF',
  '',
].join('\n')

describe('proc-locks', () => {
  it('keeps the held flock locks, not POSIX locks or waiters', () => {
    expect(parseFlockEntries(PROC_LOCKS)).to.deep.equal([
      {pid: 8376, major: 0xfe, minor: 0, inode: 2154115},
      {pid: 9001, major: 0x103, minor: 2, inode: 2154115},
    ])
  })

  it('splits device numbers as glibc does, small and large', () => {
    expect(splitDevice(0xfe00)).to.deep.equal({major: 254, minor: 0})
    expect(splitDevice(0x10302)).to.deep.equal({major: 0x103, minor: 2})
    // A major above 0xfff keeps its high bits above bit 32.
    expect(splitDevice(Number((0x1000n << 32n) | (0x234n << 8n) | 0x56n))).to.deep.equal({major: 0x1234, minor: 0x56})
  })

  it('finds the holder by device and inode, so the same inode on another disk is not mistaken for it', () => {
    const entries = parseFlockEntries(PROC_LOCKS)
    expect(findFlockHolder(entries, 0xfe00, 2154115)).to.equal(8376)
    expect(findFlockHolder(entries, 0x10302, 2154115)).to.equal(9001)
    expect(findFlockHolder(entries, 0xfe01, 2154115)).to.equal(undefined)
    expect(findFlockHolder(entries, 0xfe00, 1)).to.equal(undefined)
  })

  it('shows vm\'s own command lines as the user typed them, others as they are', () => {
    expect(describeCommandLine('node\0/usr/lib/node_modules/vmfile/bin/run.js\0up\0web\0')).to.equal('vm up web')
    expect(describeCommandLine('/usr/bin/node\0/usr/local/bin/vm\0destroy\0-f\0')).to.equal('vm destroy -f')
    expect(describeCommandLine('python3\0/usr/bin/other\0x\0')).to.equal('python3 /usr/bin/other x')
  })
})
