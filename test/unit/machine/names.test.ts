import {expect} from 'chai'

import {baseVolumeName, domainName, overlayVolumeName, projectHash, projectSlug, seedVolumeName} from '../../../src/machine/names.js'

describe('machine/names', () => {
  describe('domainName', () => {
    it('is the folder slug, the machine, and 8 hex digits of the path hash', () => {
      expect(domainName('/home/ana/shop', 'web')).to.equal('shop-web-549df1e2')
    })

    it('keeps two projects in folders of the same name apart', () => {
      expect(domainName('/home/bob/shop', 'web')).to.equal('shop-web-0716d0e6')
      expect(domainName('/home/ana/shop', 'web')).to.not.equal(domainName('/home/bob/shop', 'web'))
    })

    it('is the same for the same project and machine (stable across runs)', () => {
      expect(domainName('/home/ana/shop', 'db')).to.equal(domainName('/home/ana/shop', 'db'))
      expect(domainName('/home/ana/shop', 'db')).to.equal('shop-db-549df1e2')
    })
  })

  describe('projectSlug', () => {
    const cases: Array<[string, string]> = [
      ['/home/ana/shop', 'shop'],
      ['/home/ana/My Shop_2', 'my-shop-2'],
      ['/srv/Ünïcode Project!!', 'n-code-project'],
      ['/srv/--a..b--', 'a-b'],
      [`/x/${'a'.repeat(30)}`, 'a'.repeat(24)],
      // Cut at 24 characters, then no dash left dangling at the end.
      ['/x/abcdefghijklmnopqrstuvw-xyz', 'abcdefghijklmnopqrstuvw'],
      ['/x/!!!', 'project'],
      ['/', 'project'],
    ]
    for (const [dir, slug] of cases) {
      it(`${JSON.stringify(dir)} → ${slug}`, () => {
        expect(projectSlug(dir)).to.equal(slug)
      })
    }

    it('only ever holds a-z, 0-9 and inner dashes, at most 24 characters', () => {
      for (const [dir] of cases) expect(projectSlug(dir)).to.match(/^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$/)
    })
  })

  it('projectHash: 8 hex digits of the SHA-256 of the path', () => {
    expect(projectHash('/home/ana/shop')).to.equal('549df1e2')
  })

  it('volume names', () => {
    expect(overlayVolumeName('shop-web-549df1e2')).to.equal('shop-web-549df1e2.qcow2')
    expect(seedVolumeName('shop-web-549df1e2')).to.equal('shop-web-549df1e2-seed.iso')
    expect(baseVolumeName('ab'.repeat(32))).to.equal(`${'ab'.repeat(32)}.qcow2`)
  })
})
