import {expect} from 'chai'

import {parseVmfile} from '../../../src/vmfile/parse.js'

describe('vmfile/parse', () => {
  it('returns the document, a Map in file order and no problems for good YAML', () => {
    const parsed = parseVmfile('box: debian-12\nmachines:\n  "10": {}\n  "2":\n')
    expect(parsed.problems).to.deep.equal([])
    expect(parsed.raw).to.deep.equal(
      new Map<unknown, unknown>([
        ['box', 'debian-12'],
        ['machines', new Map([['10', new Map()], ['2', null]])],
      ]),
    )
    expect([...((parsed.raw as Map<string, Map<string, unknown>>).get('machines')?.keys() ?? [])]).to.deep.equal(['10', '2'])
    expect(parsed.doc.contents).to.not.equal(null)
  })

  it('reports a YAML syntax error with its position', () => {
    const {problems} = parseVmfile('box: debian-12\nmachines:\n  web: {memory: 2GiB\n  db: {}\n')
    expect(problems).to.deep.equal([
      {
        severity: 'error',
        path: '',
        message: 'invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
        line: 4,
        col: 3,
        length: 1,
      },
    ])
  })

  it('reports every syntax error, not just the first', () => {
    const {problems} = parseVmfile('a: b: c\nd: [1\n')
    expect(problems.map((p) => [p.line, p.col])).to.deep.equal([
      [1, 4],
      [3, 1],
    ])
  })

  it('reports a duplicate key at the second occurrence, with its path and the first line', () => {
    const {problems} = parseVmfile('box: debian-12\nmachines:\n  web:\n    memory: 2GiB\n    cpus: 2\n    memory: 4GiB\n')
    expect(problems).to.deep.equal([
      {
        severity: 'error',
        path: 'machines.web.memory',
        message: 'duplicate key; memory is already set on line 4',
        line: 6,
        col: 5,
        length: 6,
      },
    ])
  })

  it('reports a duplicate top-level key', () => {
    const {problems} = parseVmfile('memory: 1GiB\nbox: a\nmemory: 2GiB\n')
    expect(problems).to.deep.equal([
      {severity: 'error', path: 'memory', message: 'duplicate key; memory is already set on line 1', line: 3, col: 1, length: 6},
    ])
  })

  describe('a top level that is not a map of settings', () => {
    const expected = 'expected a map of settings such as "box: debian-12"'
    const table: [string, string, Record<string, number>][] = [
      ['', `${expected}, found an empty file`, {}],
      ['  \n\n', `${expected}, found an empty file`, {}],
      ['# box: debian-12\n', `${expected}, found nothing`, {}],
      ['~\n', `${expected}, found nothing`, {}],
      ['- box: debian-12\n', `${expected}, found a list`, {line: 1, col: 1, length: 16}],
      ['debian-12\n', `${expected}, found "debian-12"`, {line: 1, col: 1, length: 9}],
      ['42', `${expected}, found 42`, {line: 1, col: 1, length: 2}],
    ]
    for (const [source, message, position] of table) {
      it(JSON.stringify(source), () => {
        expect(parseVmfile(source).problems).to.deep.equal([{severity: 'error', path: '', message, ...position}])
      })
    }
  })

  it('passes YAML warnings on as warnings', () => {
    const {problems} = parseVmfile('box: !!foo debian-12\n')
    expect(problems).to.deep.equal([
      {severity: 'warning', path: '', message: 'invalid YAML: Unresolved tag: tag:yaml.org,2002:foo', line: 1, col: 6, length: 5},
    ])
  })

  it('resolves aliases in the plain value', () => {
    const {raw, problems} = parseVmfile('box: &b debian-12\nmachines:\n  web: {box: *b}\n')
    expect(problems).to.deep.equal([])
    expect((raw as Map<string, Map<string, Map<string, unknown>>>).get('machines')?.get('web')?.get('box')).to.equal('debian-12')
  })
})
