import {expect} from 'chai'

import {compileExcludes} from '../../../src/folders/exclude.js'

describe('folders/exclude', () => {
  /** [pattern, path, isDir, excluded] */
  const cases: Array<[string, string, boolean, boolean]> = [
    // A name without "/" matches at any depth.
    ['*.log', 'a.log', false, true],
    ['*.log', 'deep/er/b.log', false, true],
    ['*.log', 'a.log.txt', false, false],
    ['.git', '.git', true, true],
    ['.git', 'sub/.git', true, true],
    ['.git', 'sub/.gitignore', false, false],
    // `*` and `?` stop at "/"; `**` does not.
    ['a*c', 'abc', false, true],
    ['a/*/c', 'a/b/c', false, true],
    ['a/*/c', 'a/b/x/c', false, false],
    ['a/**/c', 'a/b/x/c', false, true],
    ['a?c', 'a/c', false, false],
    // An inner "/" matches the end of the path at a component boundary.
    ['docs/private', 'docs/private', true, true],
    ['docs/private', 'x/docs/private', true, true],
    ['docs/private', 'xdocs/private', true, false],
    // A leading "/" anchors at the folder's root.
    ['/build', 'build', true, true],
    ['/build', 'web/build', true, false],
    ['/web/build', 'web/build', true, true],
    // A trailing "/" means directories only.
    ['node_modules/', 'node_modules', true, true],
    ['node_modules/', 'node_modules', false, false],
    ['node_modules/', 'a/node_modules', true, true],
    // Everything under an excluded directory is excluded, whatever its own name.
    ['node_modules/', 'node_modules/x/y.js', false, true],
    ['/build', 'build/out/z', false, true],
    // Classes, negated classes, escapes, and a lone "[".
    ['file[0-9].txt', 'file7.txt', false, true],
    ['file[0-9].txt', 'filex.txt', false, false],
    ['file[!0-9].txt', 'filex.txt', false, true],
    ['file[^0-9].txt', 'file1.txt', false, false],
    ['\\*literal', '*literal', false, true],
    ['\\*literal', 'xliteral', false, false],
    ['a[b', 'a[b', false, true],
    // Regular-expression characters are literal.
    ['a.b', 'axb', false, false],
    ['(x)+', '(x)+', false, true],
    // Names may contain newlines.
    ['*.tmp', 'odd\nname.tmp', false, true],
  ]
  for (const [pattern, path, isDir, excluded] of cases) {
    it(`${JSON.stringify(pattern)} ${excluded ? 'excludes' : 'keeps'} ${JSON.stringify(path)}${isDir ? ' (dir)' : ''}`, () => {
      expect(compileExcludes([pattern])(path, isDir)).to.equal(excluded)
    })
  }

  it('always excludes .vm at any depth, of any type, and never the folder itself', () => {
    const isExcluded = compileExcludes([])
    expect(isExcluded('.vm', true)).to.equal(true)
    expect(isExcluded('.vm', false)).to.equal(true)
    expect(isExcluded('.vm/id_ed25519', false)).to.equal(true)
    expect(isExcluded('sub/.vm/tmp/x', false)).to.equal(true)
    expect(isExcluded('x.vm', false)).to.equal(false)
    expect(isExcluded('.vmx', false)).to.equal(false)
    expect(isExcluded('', true)).to.equal(false)
  })

  it('ignores empty patterns', () => {
    expect(compileExcludes(['', '/', '//'])('anything', false)).to.equal(false)
  })
})
