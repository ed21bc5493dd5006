import {PassThrough} from 'node:stream'

import {expect} from 'chai'

import {createProgressReporter, formatBytes, formatDuration, LineProgress} from '../../../src/box/progress.js'

const MiB = 1024 * 1024

/** An output that records writes, and a clock the test moves. */
function harness(isTTY = false) {
  const lines: string[] = []
  let time = 1_000_000
  return {
    output: {isTTY, write: (text: string) => lines.push(text)},
    lines,
    now: () => time,
    advance: (ms: number) => (time += ms),
  }
}

describe('box/progress', () => {
  it('prints plain lines with the ETA at most every 2 s, then a summary', () => {
    const h = harness()
    const progress = new LineProgress(h.output, {now: h.now})
    progress.start('Downloading debian-12', 180 * MiB)
    h.advance(1000)
    progress.update(12 * MiB) // too soon: nothing
    h.advance(1000)
    progress.update(24.6 * MiB)
    h.advance(1999)
    progress.update(40 * MiB) // 1.999 s after the last line: nothing
    h.advance(2586)
    progress.update(81 * MiB)
    h.advance(8049)
    progress.update(180 * MiB)
    progress.finish()
    expect(h.lines).to.deep.equal([
      'Downloading debian-12: 13% (25 MiB of 180 MiB, 12.3 MiB/s, 13 s left)\n',
      'Downloading debian-12: 45% (81 MiB of 180 MiB, 12.3 MiB/s, 9 s left)\n',
      'Downloading debian-12: 100% (180 MiB of 180 MiB, 12.3 MiB/s)\n',
      'Downloading debian-12: done, 180 MiB in 15 s (12.3 MiB/s)\n',
    ])
  })

  it('prints bytes and rate when the size is unknown, and a short transfer in tenths of a second', () => {
    const h = harness()
    const progress = new LineProgress(h.output, {now: h.now})
    progress.start('Copying test')
    h.advance(2000)
    progress.update(5 * MiB)
    h.advance(500)
    progress.update(6 * MiB)
    progress.finish()
    expect(h.lines).to.deep.equal(['Copying test: 5.0 MiB (2.5 MiB/s)\n', 'Copying test: done, 6.0 MiB in 2.5 s (2.4 MiB/s)\n'])
  })

  it('starts a resumed transfer at its offset and counts only new bytes in the rate and the ETA', () => {
    const h = harness()
    const progress = new LineProgress(h.output, {now: h.now})
    progress.start('Downloading debian-12', 100 * MiB, 60 * MiB)
    h.advance(2000)
    progress.update(80 * MiB)
    h.advance(2000)
    progress.update(100 * MiB)
    progress.finish()
    expect(h.lines).to.deep.equal([
      'Downloading debian-12: 80% (80 MiB of 100 MiB, 10.0 MiB/s, 2 s left)\n',
      'Downloading debian-12: 100% (100 MiB of 100 MiB, 10.0 MiB/s)\n',
      'Downloading debian-12: done, 100 MiB in 4.0 s (10.0 MiB/s), resumed at 60 MiB\n',
    ])
  })

  it('counts the bytes of a transfer that starts over from zero', () => {
    const h = harness()
    const progress = new LineProgress(h.output, {now: h.now})
    progress.start('Downloading x', 40 * MiB, 30 * MiB)
    progress.update(32 * MiB) // 2 MiB new
    progress.update(0) // the server ignored Range: start over
    h.advance(2000)
    progress.update(6 * MiB) // 6 MiB new
    expect(h.lines).to.deep.equal(['Downloading x: 15% (6.0 MiB of 40 MiB, 4.0 MiB/s, 9 s left)\n'])
  })

  it('formats remaining times coarsely', () => {
    expect(formatDuration(0.2)).to.equal('1 s')
    expect(formatDuration(59)).to.equal('59 s')
    expect(formatDuration(125)).to.equal('2 min 05 s')
    expect(formatDuration(3 * 3600 + 4 * 60 + 10)).to.equal('3 h 04 min')
  })

  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).to.equal('0 B')
    expect(formatBytes(1023)).to.equal('1023 B')
    expect(formatBytes(1536)).to.equal('1.5 KiB')
    expect(formatBytes(180 * MiB)).to.equal('180 MiB')
    expect(formatBytes(1.4 * 1024 * MiB)).to.equal('1.4 GiB')
    expect(formatBytes(12.34 * MiB, 1)).to.equal('12.3 MiB')
  })

  it('draws a bar on a terminal and plain lines elsewhere', () => {
    const plain = harness(false)
    expect(createProgressReporter(plain.output, {now: plain.now})).to.be.instanceOf(LineProgress)

    const tty = harness(true)
    const bar = createProgressReporter(tty.output)
    bar.start('Downloading ubuntu-24.04', 10 * MiB)
    bar.update(5 * MiB)
    bar.finish()
    const drawn = tty.lines.join('')
    expect(drawn).to.contain('Downloading ubuntu-24.04 [')
    expect(drawn).to.contain('50% | 5.0 MiB of 10 MiB')

    const resumed = harness(true)
    const again = createProgressReporter(resumed.output)
    again.start('Downloading ubuntu-24.04', 10 * MiB, 4 * MiB)
    again.finish()
    expect(resumed.lines.join('')).to.contain('40% | 4.0 MiB of 10 MiB')
  })
})

describe('box/progress: notes on a terminal', () => {
  it('prints a note above the bar and draws the bar again under it', async () => {
    const stream = Object.assign(new PassThrough(), {isTTY: true, columns: 100})
    let text = ''
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()))
    const reporter = createProgressReporter(stream)
    reporter.start('Downloading x', 1000)
    reporter.update(500)
    reporter.note?.('Connection lost at 500 B; resuming in 1 s (attempt 2 of 5)')
    reporter.finish()
    await new Promise((resolve) => setImmediate(resolve))
    const after = text.slice(text.indexOf('Connection lost'))
    expect(after.split('\n')[0]).to.equal('Connection lost at 500 B; resuming in 1 s (attempt 2 of 5)')
    expect(after.split('\n').slice(1).join('\n')).to.include('Downloading x')
  })
})
