import {expect} from 'chai'

import {deadlineIn, parseCloudInitStatus} from '../../../src/machine/readiness.js'

describe('machine/readiness', () => {
  describe('parseCloudInitStatus', () => {
    const cases: Array<[string, string]> = [
      // `cloud-init status --wait` prints a dot per poll, a newline, then the status.
      ['......................\nstatus: done\n', 'done'],
      ['\nstatus: done\n', 'done'],
      ['status: error\n', 'error'],
      ['status: degraded done\n', 'degraded'],
      ['status: running\ntime: Fri, 27 Nov 2026 21:00:00 +0000\ndetail:\nDataSourceNoCloud [seed=/dev/sr0][dsmode=net]\n', 'running'],
      ['', 'unknown'],
      ['Usage: cloud-init [-h]\n', 'unknown'],
      // Only a line that starts with "status:" counts.
      ['extended_status: done\n', 'unknown'],
    ]
    for (const [stdout, status] of cases) {
      it(`${JSON.stringify(stdout)} → ${status}`, () => {
        expect(parseCloudInitStatus(stdout)).to.equal(status)
      })
    }
  })

  it('deadlineIn: the moment and the seconds, for messages', () => {
    expect(deadlineIn(600, 1_000_000)).to.deep.equal({at: 1_600_000, seconds: 600})
  })
})
