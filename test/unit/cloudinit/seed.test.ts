import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {renderMetaData} from '../../../src/cloudinit/meta-data.js'
import {renderSeedFiles, renderSeedIso, type SeedSpec} from '../../../src/cloudinit/seed.js'
import {renderUserData} from '../../../src/cloudinit/user-data.js'
import {runTool} from '../fixture.js'
import {TYPICAL} from './specs.js'

/* The ISO is read back with isoinfo (cdrkit, package genisoimage), which shares no code with our writer. */

const SPEC: SeedSpec = {...TYPICAL, instanceId: '6f1c2a3e-1111-4222-8333-944455566677'}
const MODIFIED = new Date('2026-11-27T21:00:00Z')

describe('cloudinit/seed', () => {
  let dir: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vm-seed-'))
  })

  after(() => {
    rmSync(dir, {recursive: true, force: true})
  })

  function isoFile(name: string, spec: SeedSpec): string {
    const path = join(dir, `${name}.iso`)
    writeFileSync(path, renderSeedIso(spec, MODIFIED))
    return path
  }

  function isoinfo(args: string[]): string {
    const result = runTool('isoinfo', args, 'genisoimage')
    expect(result.status, result.stderr).to.equal(0)
    return result.stdout
  }

  describe('renderSeedFiles', () => {
    it('has meta-data and user-data, rendered from the one spec', () => {
      const files = renderSeedFiles(SPEC)
      expect([...files.keys()]).to.deep.equal(['meta-data', 'user-data'])
      expect(files.get('meta-data')).to.equal(renderMetaData(SPEC))
      expect(files.get('user-data')).to.equal(renderUserData(SPEC))
      expect(files.get('meta-data')).to.equal('instance-id: 6f1c2a3e-1111-4222-8333-944455566677\nlocal-hostname: web\n')
    })

    it("passes the user's config and the shared folders on to user-data", () => {
      const spec: SeedSpec = {...SPEC, userConfig: {packages: ['git']}, mounts: [{tag: 'f0', guestPath: '/vagrant', fsType: 'virtiofs'}]}
      const userData = renderSeedFiles(spec).get('user-data')!
      expect(userData).to.equal(renderUserData(spec))
      expect(userData).to.not.equal(renderUserData(SPEC))
      expect(userData).to.match(/^packages:\n {2}- git$/m).and.match(/^ {4}- \/vagrant$/m)
    })

    it('adds network-config only when given, as given', () => {
      const networkConfig = 'version: 2\nethernets:\n  id0:\n    match: {name: "en*"}\n    dhcp4: true\n'
      const files = renderSeedFiles({...SPEC, networkConfig})
      expect([...files.keys()]).to.deep.equal(['meta-data', 'user-data', 'network-config'])
      expect(files.get('network-config')).to.equal(networkConfig)
    })
  })

  describe('renderSeedIso', () => {
    it('carries the volume id cidata that NoCloud looks for', () => {
      expect(isoinfo(['-d', '-i', isoFile('label', SPEC)])).to.match(/^Volume id: cidata$/m)
    })

    it('holds exactly the seed files, byte for byte (Rock Ridge names)', () => {
      const iso = isoFile('files', SPEC)
      const files = renderSeedFiles(SPEC)
      const listing = isoinfo(['-R', '-f', '-i', iso]).split('\n').filter((line) => line !== '')
      expect(listing.sort()).to.deep.equal(['/meta-data', '/user-data'])
      for (const [name, content] of files) {
        expect(isoinfo(['-R', '-x', `/${name}`, '-i', iso]), name).to.equal(content)
      }
    })

    it('holds network-config when there is one', () => {
      const networkConfig = 'version: 2\nethernets: {}\n'
      const iso = isoFile('network', {...SPEC, networkConfig})
      expect(isoinfo(['-R', '-x', '/network-config', '-i', iso])).to.equal(networkConfig)
    })

    it('is the same bytes for the same spec and time', () => {
      expect(Buffer.from(renderSeedIso(SPEC, MODIFIED)).equals(Buffer.from(renderSeedIso(structuredClone(SPEC), MODIFIED)))).to.equal(true)
    })
  })
})
