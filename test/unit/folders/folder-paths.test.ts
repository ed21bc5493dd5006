import {expect} from 'chai'

import {VmError} from '../../../src/errors.js'
import {ancestorsOf, collapseNested, normalizeGuestPath, normalizeRelativePath} from '../../../src/folders/folder-paths.js'

describe('folders/folder-paths', () => {
  it('normalises relative paths', () => {
    expect(normalizeRelativePath('a//b/./c/')).to.equal('a/b/c')
    expect(normalizeRelativePath('./a')).to.equal('a')
    expect(normalizeRelativePath('.')).to.equal('')
    expect(normalizeRelativePath('')).to.equal('')
    expect(normalizeRelativePath('-rf')).to.equal('-rf')
    expect(normalizeRelativePath('..x/y..')).to.equal('..x/y..')
  })

  it('refuses "..", absolute paths and NUL bytes', () => {
    for (const bad of ['..', '../x', 'a/../b', 'a/..', '/etc', '//x', 'a\0b']) {
      expect(() => normalizeRelativePath(bad), bad).to.throw(VmError, /Refusing/)
    }
  })

  it('lists ancestors outermost first', () => {
    expect(ancestorsOf('a/b/c')).to.deep.equal(['a', 'a/b'])
    expect(ancestorsOf('a')).to.deep.equal([])
  })

  it('folds nested paths into their parents, and everything into the folder itself', () => {
    expect(collapseNested(['a/b', 'a', 'c/d', 'a/b/c', 'ab', 'c/d'])).to.deep.equal(['a', 'ab', 'c/d'])
    expect(collapseNested(['x', '', 'y/z'])).to.deep.equal([''])
  })

  it('checks guest paths: absolute, normalised, never "/"', () => {
    expect(normalizeGuestPath('/srv//app/')).to.equal('/srv/app')
    expect(normalizeGuestPath('/srv/x/../app')).to.equal('/srv/app')
    for (const bad of ['/', '///', '/..', 'srv/app', '']) {
      expect(() => normalizeGuestPath(bad), bad).to.throw(VmError)
    }
  })
})
