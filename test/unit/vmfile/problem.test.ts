import {expect} from 'chai'

import {formatProblems, hasErrors, sortProblems, summarizeProblems, type Problem} from '../../../src/vmfile/problem.js'

const SOURCE = ['box: debian-12', 'machines:', '  beta:', '    memory: 2 gigs', '    memroy: 1GiB', ''].join('\n')

const memory: Problem = {
  severity: 'error',
  path: 'machines.beta.memory',
  message: 'expected a size like 768MiB or 2GiB, found "2 gigs"',
  line: 4,
  col: 13,
  length: 6,
}

describe('vmfile/problem', () => {
  describe('formatProblems', () => {
    it('renders position, path, message, the source line and carets under the value', () => {
      expect(formatProblems([memory], SOURCE, 'Vmfile')).to.equal(
        [
          'Vmfile:4:13 machines.beta.memory: expected a size like 768MiB or 2GiB, found "2 gigs"',
          '    memory: 2 gigs',
          '            ^^^^^^',
        ].join('\n'),
      )
    })

    it('marks warnings after the position', () => {
      const message = 'unknown key (ignored); did you mean memory?'
      const warning: Problem = {severity: 'warning', path: 'machines.beta.memroy', message, line: 5, col: 5, length: 6}
      expect(formatProblems([warning], SOURCE, '../Vmfile')).to.equal(
        [
          '../Vmfile:5:5 warning: machines.beta.memroy: unknown key (ignored); did you mean memory?',
          '    memroy: 1GiB',
          '    ^^^^^^',
        ].join('\n'),
      )
    })

    it('joins several problems with newlines and no trailing newline', () => {
      const box: Problem = {severity: 'error', path: 'box', message: 'm', line: 1, col: 6, length: 9}
      expect(formatProblems([box, memory], SOURCE, 'Vmfile').split('\n')).to.have.length(6)
    })

    it('renders problems without a position, without a path, and from the environment', () => {
      const problems: Problem[] = [
        {severity: 'error', path: 'box', message: 'expected a box such as "box: debian-12", found nothing'},
        {severity: 'error', path: '', message: 'expected a map of settings such as "box: debian-12", found an empty file'},
        {severity: 'error', path: '', message: 'invalid YAML: oops', line: 2, col: 1, length: 1},
        {severity: 'warning', path: '', message: 'invalid YAML: odd tag', line: 1, col: 1, length: 3},
        {severity: 'error', path: 'accelerator', message: 'expected auto, kvm or tcg, found "fast"', envVar: 'VM_ACCELERATOR'},
      ]
      expect(formatProblems(problems, SOURCE, 'Vmfile')).to.equal(
        [
          'Vmfile box: expected a box such as "box: debian-12", found nothing',
          'Vmfile: expected a map of settings such as "box: debian-12", found an empty file',
          'Vmfile:2:1: invalid YAML: oops',
          'machines:',
          '^',
          'Vmfile:1:1 warning: invalid YAML: odd tag',
          'box: debian-12',
          '^^^',
          'environment variable VM_ACCELERATOR: expected auto, kvm or tcg, found "fast"',
        ].join('\n'),
      )
    })

    it('clips carets to the line and draws at least one', () => {
      const long: Problem = {severity: 'error', path: 'machines', message: 'm', line: 2, col: 1, length: 500}
      const empty: Problem = {severity: 'error', path: '', message: 'm', line: 6, col: 1, length: 0}
      expect(formatProblems([long, empty], SOURCE, 'Vmfile')).to.equal(
        ['Vmfile:2:1 machines: m', 'machines:', '^^^^^^^^^', 'Vmfile:6:1: m', '', '^'].join('\n'),
      )
    })

    it('shows control bytes from the file escaped, in the header and the excerpt, carets still under the value', () => {
      const source = 'box: debian-12\n"\u001b]0;owned\u0007": 1\nmemory: "\u001b[2J2 gigs"\n'
      const key: Problem = {severity: 'warning', path: '\u001b]0;owned\u0007', message: 'unknown key (ignored)', line: 2, col: 1, length: 14}
      const value: Problem = {severity: 'error', path: 'memory', message: 'expected a size', line: 3, col: 9, length: 10}
      const text = formatProblems([key, value], source, 'Vmfile')
      // eslint-disable-next-line no-control-regex
      expect(text).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/)
      expect(text.split('\n')).to.deep.equal([
        'Vmfile:2:1 warning: \\x1b]0;owned\\x07: unknown key (ignored)',
        '"\\x1b]0;owned\\x07": 1',
        '^^^^^^^^^^^^^^^^^^^^',
        'Vmfile:3:9 memory: expected a size',
        'memory: "\\x1b[2J2 gigs"',
        '        ^^^^^^^^^^^^^',
      ])
    })

    it('shows a window of a very long line around the value, not the whole line', () => {
      const source = `${'x'.repeat(5000)}: ${'y'.repeat(5000)}\n`
      const problem: Problem = {severity: 'error', path: '', message: 'm', line: 1, col: 5003, length: 4}
      const [, excerpt, carets] = formatProblems([problem], source, 'Vmfile').split('\n')
      expect(excerpt!.length).to.be.below(200)
      expect(excerpt).to.match(/^\.\.\.x+: y+\.\.\.$/)
      expect(carets!.indexOf('^')).to.equal(excerpt!.indexOf('y'))
      expect(carets!.trim()).to.equal('^^^^')
    })

    it('does not show carriage returns of CRLF files', () => {
      const crlf = SOURCE.replace(/\n/g, '\r\n')
      expect(formatProblems([memory], crlf, 'Vmfile').split('\n')[1]).to.equal('    memory: 2 gigs')
    })
  })

  it('summarizeProblems counts errors and warnings', () => {
    const warning: Problem = {severity: 'warning', path: '', message: ''}
    expect(summarizeProblems([memory])).to.equal('1 error')
    expect(summarizeProblems([memory, memory, warning])).to.equal('2 errors and 1 warning')
    expect(summarizeProblems([warning, warning])).to.equal('2 warnings')
    expect(summarizeProblems([])).to.equal('no problems')
  })

  it('hasErrors ignores warnings', () => {
    expect(hasErrors([{severity: 'warning', path: '', message: ''}])).to.equal(false)
    expect(hasErrors([memory])).to.equal(true)
  })

  it('sortProblems orders by position and puts unpositioned problems last, keeping their order', () => {
    const a: Problem = {severity: 'error', path: 'a', message: '', line: 3, col: 9}
    const b: Problem = {severity: 'error', path: 'b', message: '', line: 3, col: 2}
    const c: Problem = {severity: 'error', path: 'c', message: ''}
    const d: Problem = {severity: 'error', path: 'd', message: '', line: 1, col: 1}
    const e: Problem = {severity: 'error', path: 'e', message: ''}
    expect(sortProblems([c, a, e, b, d]).map((p) => p.path)).to.deep.equal(['d', 'b', 'a', 'c', 'e'])
  })
})
