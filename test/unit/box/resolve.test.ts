import {join} from 'node:path'

import {expect} from 'chai'

import {CATALOG_DIR, hostArch, resolveBox} from '../../../src/box/catalog.js'
import {rejection} from './helpers.js'

const HEX = 'ab'.repeat(32)

describe('box/resolve', () => {
  it('maps Node architectures to libvirt ones and refuses the rest', () => {
    expect(hostArch('x64')).to.equal('x86_64')
    expect(hostArch('arm64')).to.equal('aarch64')
    expect(() => hostArch('riscv64')).to.throw("This host's architecture (riscv64) is not supported")
  })

  it('resolves a catalog box for the requested architecture, with what vm must know to boot it', async () => {
    expect(await resolveBox({kind: 'catalog', name: 'debian-12'}, 'aarch64', CATALOG_DIR)).to.deep.equal({
      name: 'debian-12',
      title: 'Debian 12 (bookworm)',
      url: 'https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-arm64.qcow2',
      mirrors: [],
      checksum: {checksumUrl: 'https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS', algorithm: 'sha512'},
      osId: 'debian12',
      defaultUser: 'debian',
      firmware: 'bios',
    })
    expect(await resolveBox({kind: 'catalog', name: 'ubuntu-24.04'}, 'x86_64')).to.deep.equal({
      name: 'ubuntu-24.04',
      title: 'Ubuntu 24.04 LTS (Noble Numbat)',
      url: 'https://cloud-images.ubuntu.com/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img',
      mirrors: [],
      checksum: {
        checksumUrl: 'https://cloud-images.ubuntu.com/releases/24.04/release/SHA256SUMS',
        algorithm: 'sha256',
        signature: {url: 'https://cloud-images.ubuntu.com/releases/24.04/release/SHA256SUMS.gpg', key: join(CATALOG_DIR, 'keys', 'ubuntu-cloudimage-keyring.gpg')},
      },
      osId: 'ubuntu24.04',
      defaultUser: 'ubuntu',
      firmware: 'bios',
    })
  })

  it('resolves an alias to the box it names, with its mirrors and, on x86_64, its CPU level', async () => {
    const base = 'https://download.rockylinux.org/pub/rocky/10/images/x86_64'
    expect(await resolveBox({kind: 'catalog', name: 'rocky'}, 'x86_64', CATALOG_DIR)).to.deep.equal({
      name: 'rocky-10',
      title: 'Rocky Linux 10',
      url: `${base}/Rocky-10-GenericCloud-Base.latest.x86_64.qcow2`,
      mirrors: [
        'https://dl.rockylinux.org/pub/rocky/10/images/x86_64/Rocky-10-GenericCloud-Base.latest.x86_64.qcow2',
        'https://mirror.rackspace.com/rocky/10/images/x86_64/Rocky-10-GenericCloud-Base.latest.x86_64.qcow2',
      ],
      checksum: {checksumUrl: 'https://dl.rockylinux.org/pub/rocky/10/images/x86_64/CHECKSUM', algorithm: 'sha256'},
      osId: 'rocky10',
      defaultUser: 'rocky',
      firmware: 'bios',
      x86_64Level: 3,
    })
    // The level is about x86_64 CPUs: an aarch64 request does not carry it.
    const arm = await resolveBox({kind: 'catalog', name: 'rocky'}, 'aarch64', CATALOG_DIR)
    expect(arm.url).to.match(/Rocky-10-GenericCloud-Base\.latest\.aarch64\.qcow2$/)
    expect(arm).not.to.have.property('x86_64Level')
    expect((await resolveBox({kind: 'catalog', name: 'ubuntu'}, 'x86_64')).name).to.equal('ubuntu-26.10')
    expect((await resolveBox({kind: 'catalog', name: 'ubuntu-lts'}, 'x86_64')).name).to.equal('ubuntu-26.04')
  })

  it('names the known boxes with their aliases and suggests the closest name or alias', async () => {
    const error = await rejection(() => resolveBox({kind: 'catalog', name: 'debian12'}, 'x86_64', CATALOG_DIR))
    expect(error.code).to.equal('BOX_NOT_FOUND')
    expect(error.exitCode).to.equal(2)
    expect(error.message).to.equal('There is no box named "debian12"; did you mean debian-12?')
    expect(error.detail).to.equal(
      'Known boxes (and their aliases): almalinux-9, almalinux-10 (almalinux), alpine-3.24 (alpine), archlinux (arch), ' +
        'centos-stream-9, centos-stream-10 (centos-stream), debian-12 (bookworm), debian-13 (debian, trixie), ' +
        'fedora-44 (fedora), opensuse-leap-16.0 (opensuse, opensuse-leap), rocky-9, rocky-10 (rocky), ' +
        'ubuntu-22.04 (jammy), ubuntu-24.04 (noble), ubuntu-26.04 (ubuntu-lts, resolute), ubuntu-26.10 (ubuntu)',
    )
    expect(error.hint).to.equal(
      'Use one of the known boxes (`vm box list --available`), or give the image as url: with its sha256 or checksum_url.',
    )
    const far = await rejection(() => resolveBox({kind: 'catalog', name: 'windows'}, 'x86_64', CATALOG_DIR))
    expect(far.message).to.equal('There is no box named "windows".')
  })

  it('suggests the closest known name or alias for a typo', async () => {
    const suggestion = async (name: string) =>
      (await rejection(() => resolveBox({kind: 'catalog', name}, 'x86_64', CATALOG_DIR))).message
    expect(await suggestion('ubuntu-24.4')).to.equal('There is no box named "ubuntu-24.4"; did you mean ubuntu-24.04?')
    expect(await suggestion('fedroa')).to.equal('There is no box named "fedroa"; did you mean fedora?')
    expect(await suggestion('alpnie')).to.equal('There is no box named "alpnie"; did you mean alpine?')
  })

  it('refuses an architecture the box has no image for, naming the alias that was used', async () => {
    const error = await rejection(() => resolveBox({kind: 'catalog', name: 'debian-13'}, 'riscv64', CATALOG_DIR))
    expect(error.code).to.equal('BOX_ARCH_UNSUPPORTED')
    expect(error.message).to.equal('The box debian-13 has no image for riscv64.')
    expect(error.detail).to.equal('It has images for: x86_64, aarch64.')
    const arch = await rejection(() => resolveBox({kind: 'catalog', name: 'arch'}, 'aarch64', CATALOG_DIR))
    expect(arch.message).to.equal('The box arch (archlinux) has no image for aarch64.')
    expect(arch.detail).to.equal('It has images for: x86_64.')
  })

  it('turns a URL with a sha256 into a request labelled after its file name', async () => {
    const url = 'https://example.org/images/Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2'
    expect(await resolveBox({kind: 'url', url, sha256: `sha256:${HEX.toUpperCase()}`}, 'x86_64')).to.deep.equal({
      name: 'Fedora-Cloud-Base-Generic-41-1.4.x86_64',
      url,
      mirrors: [],
      checksum: {algorithm: 'sha256', digest: HEX},
    })
  })

  it('takes the checksum file algorithm hint from its name', async () => {
    const base = 'https://example.org/x/'
    const checksumOf = async (file: string) =>
      (await resolveBox({kind: 'url', url: `${base}a.img`, checksumUrl: `${base}${file}`}, 'x86_64')).checksum
    expect(await checksumOf('SHA512SUMS')).to.deep.equal({algorithm: 'sha512', checksumUrl: `${base}SHA512SUMS`})
    expect(await checksumOf('SHA256SUMS')).to.deep.equal({algorithm: 'sha256', checksumUrl: `${base}SHA256SUMS`})
    expect(await checksumOf('CHECKSUM')).to.deep.equal({algorithm: 'sha256', checksumUrl: `${base}CHECKSUM`})
  })

  it('refuses an http(s) image without any checksum, but accepts a local file without one', async () => {
    const error = await rejection(() => resolveBox({kind: 'url', url: 'https://example.org/a.qcow2'}, 'x86_64'))
    expect(error.code).to.equal('BOX_UNVERIFIED')
    expect(error.message).to.equal('Refusing to download https://example.org/a.qcow2 without a checksum.')
    expect(await resolveBox({kind: 'url', url: '/srv/images/test.qcow2'}, 'x86_64')).to.deep.equal({
      name: 'test',
      url: '/srv/images/test.qcow2',
      mirrors: [],
      checksum: undefined,
    })
    expect((await resolveBox({kind: 'url', url: 'file:///srv/images/my%20image.img'}, 'x86_64')).name).to.equal('my image')
  })

  it('refuses malformed digests, relative paths and other schemes', async () => {
    const bad = await rejection(() => resolveBox({kind: 'url', url: 'https://example.org/a.img', sha256: 'abc'}, 'x86_64'))
    expect(bad.code).to.equal('BOX_INVALID_CHECKSUM')
    expect(bad.message).to.equal('The sha256 given for https://example.org/a.img is not 64 hex digits: "abc".')
    const relative = await rejection(() => resolveBox({kind: 'url', url: 'images/a.img', sha256: HEX}, 'x86_64'))
    expect(relative.code).to.equal('BOX_INVALID_URL')
    expect(relative.message).to.equal('Cannot use box URL "images/a.img": it is neither a URL nor an absolute path.')
    const ftp = await rejection(() => resolveBox({kind: 'url', url: 'ftp://example.org/a.img', sha256: HEX}, 'x86_64'))
    expect(ftp.message).to.equal('Cannot use box URL "ftp://example.org/a.img": the ftp scheme is not supported (use https, http or file).')
  })
})
