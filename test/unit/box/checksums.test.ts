import {expect} from 'chai'

import {BESIDE, findDigest, isSidecarFile, parseChecksumFile} from '../../../src/box/checksums.js'
import {VmError} from '../../../src/errors.js'
import {sha256, sha512} from './helpers.js'

// Shaped like https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS (digests invented).
const DEBIAN_SHA512SUMS = `9f8bcf23373562f98a7a9fce87636831a1babccb6ab919a269e36ddb37026eae5222bd9139fc91594dc8b5b7c6fdc476411720db62a70b98d501dc90bbc893ad  debian-12-generic-amd64.json
3a4488aefb2b82e2a32328d06dd617965fd148a28d74734f9c0404462484602b6b90d87af52541ab48e79759d12fed524ebdd08a70616ea99af25def420f50d6  debian-12-generic-amd64.qcow2
188bd53a679a135b0d21c8ad4dceaf84bfd08cb6d518bd6a589a25dfe95f5a5444a55826dacb834c8c913770958b46684d256748ebb99b4c1aa13ab49f346c33  debian-12-generic-amd64.raw
fe1a43433354b13ba0555acd8e3152b33fcae7d643d3bddc54f51b59b72a17b508230b768f9608d33061947d6771aec60345f2bff354d8369c54beb9fd33c583  debian-12-generic-amd64.tar.xz
9e6fa27287b57a3227281e338ffb9ae36b483c60b2107017585c368fea347cb76dadd7ae4df5ca3b4e730450ce3414c3480efe74d15b9fef05983483f5f3a13c  debian-12-genericcloud-amd64.json
fea8003b84b3ef55c968197d9fc8b1ba0a61f079ae958319ee8775f3d9e2176e0c5fc9c663a4c649e17d4a91480ccd4b31071a70595138646d90f5e91127e268  debian-12-genericcloud-amd64.qcow2
471b3c831e7c9ea4599f7b00480a6ca45b4545f9669128cf9cc1c70eaacef9af217be15b0686b1f132c01e642da7dc6b6da519513416231c009b488bc12b1760  debian-12-genericcloud-amd64.raw
ae893fd526560962209528c02732457d8f55f37f3aa86f166387bc638db7f5f0cd05e5a65846c56ab0cf4461d8c2bf7db5582f36758e8a6a5b323274f2921418  debian-12-genericcloud-amd64.tar.xz
a950221b2a8ac03bcf9d29b2c1d90b766072fb9460b6f562708e4be704a95285ecad4e3b3bbce8edd85d1dded355145af210772da9d009c4a34dd3ac8b42b38f  debian-12-genericcloud-arm64.qcow2
60d89a10c3a7539f92ad63d3725ff2076ce71e98ad45971595b57a26c45ac4d3692b485aac173287745259ba2b19724cf546d745bd2b85227cb3ed339e2715ee  debian-12-nocloud-amd64.qcow2
`

// Shaped like https://cloud-images.ubuntu.com/releases/24.04/release/SHA256SUMS: binary-mode stars.
const UBUNTU_SHA256SUMS = `63cbf6cd4d50bad05ca55dc88b713808b4e7fc4f306ac828a1a96d31e7957d04 *ubuntu-24.04-server-cloudimg-amd64-disk-kvm.img
cfa104f8620636a52a2c13b293e1e81833debdaf916f70a534140e816f61ab04 *ubuntu-24.04-server-cloudimg-amd64-root.tar.xz
a43b8adaf73a7a40fa2776f19445acbcb1619a7273b2e0bd44e0978f9ac578fa *ubuntu-24.04-server-cloudimg-amd64.img
19901001d4c9640a78de5ee365e3c6d55db04915d37c5bc59488288b2739b46e *ubuntu-24.04-server-cloudimg-amd64.manifest
bfd66401857171ad717d29a284f5d9530b3fd3fba1f38a789f390641601c1b05 *ubuntu-24.04-server-cloudimg-amd64.squashfs
b74465bc68d22b2fa7e37e7f1c8f65d4678a6e7d1f242281f6a87c86a8c87bae *ubuntu-24.04-server-cloudimg-amd64.tar.gz
64a1121cdd0db7fed6f50e0c8fcf07b661455fdda3ff476fdeeafb1d29ffa4c5 *ubuntu-24.04-server-cloudimg-arm64.img
2a80cef7b24233fd408c5bff05f2ead473743042f2383761cb5610f8a47bdbc7 *ubuntu-24.04-server-cloudimg-ppc64el.img
4197d3452e4968328e5d7b046bf25c5ba344051b92ea9ea8524940329843d997 *ubuntu-24.04-server-cloudimg-riscv64.img
020faac58dd8ea5d545e75a9fdc99e6013a6a433505ed5a89fee76ff30b656b0 *ubuntu-24.04-server-cloudimg-s390x.img
`

// Shaped like Fedora's Fedora-Cloud-41-1.4-x86_64-CHECKSUM: BSD style, clear-signed, size comments.
const FEDORA_CHECKSUM = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

# Fedora-Cloud-Base-AmazonEC2-41-1.4.x86_64.raw.xz: 399538380 bytes
SHA256 (Fedora-Cloud-Base-AmazonEC2-41-1.4.x86_64.raw.xz) = 83b1fb04378e3b2aeb572b2079dfbb580d7c8e817e332362e2dc93cdb47273ab
# Fedora-Cloud-Base-Azure-41-1.4.x86_64.vhdfixed.xz: 406131140 bytes
SHA256 (Fedora-Cloud-Base-Azure-41-1.4.x86_64.vhdfixed.xz) = ab509893c74c545538e81f571f89160e1bfa9f82a7d3b6f4c88ac655e947cb3e
# Fedora-Cloud-Base-GCE-41-1.4.x86_64.tar.gz: 398852571 bytes
SHA256 (Fedora-Cloud-Base-GCE-41-1.4.x86_64.tar.gz) = 0e41e6d592a540bf1dc2fb8b7eb3f52fa0b4fc36693a0c2ce8a29c5b794d7b9e
# Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2: 491716608 bytes
SHA256 (Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2) = cca784b04c09bd3bcdf114b762bcd8fb46a5734b2124a96f9617a08c213e7ceb
# Fedora-Cloud-Base-UKI-41-1.4.x86_64.qcow2: 530186240 bytes
SHA256 (Fedora-Cloud-Base-UKI-41-1.4.x86_64.qcow2) = 2621e4c6a3a411166e78822ce9afd3bef1cfbade4fa75970f1cd1695ee8a77f9
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCAAdFiEEZbWhsTTmPXPz5pvrOnFvHAoiVd4FAmcS0f4ACgkQOnFvHAoi
Vd6SAhAApNFvBZ4ByaYrhz2xp1SnBFw9WXBOx7mZPvvQyfmCvmBVJuXj5XyOmfCw
=eQ0b
-----END PGP SIGNATURE-----
`

// Shaped like Rocky's images/x86_64/CHECKSUM: BSD style with "# name: size" comments, the dated build
// and its ".latest" name side by side (digests invented).
const ROCKY_LATEST = sha256('rocky-9.7')
const ROCKY_CHECKSUM = `# Rocky-9-GenericCloud-Base-9.7-20251123.2.x86_64.qcow2: 645988352 bytes
SHA256 (Rocky-9-GenericCloud-Base-9.7-20251123.2.x86_64.qcow2) = ${ROCKY_LATEST}
# Rocky-9-GenericCloud-Base.latest.x86_64.qcow2: 645988352 bytes
SHA256 (Rocky-9-GenericCloud-Base.latest.x86_64.qcow2) = ${ROCKY_LATEST}
# Rocky-9-GenericCloud-LVM-9.7-20251123.2.x86_64.qcow2: 690159616 bytes
SHA256 (Rocky-9-GenericCloud-LVM-9.7-20251123.2.x86_64.qcow2) = ${sha256('rocky-lvm')}
`

// Shaped like Arch's images/latest/Arch-Linux-x86_64-cloudimg.qcow2.SHA256: sha256sum's own output.
const ARCH_SHA256 = `${sha256('arch')}  Arch-Linux-x86_64-cloudimg.qcow2\n`

// Shaped like Alpine's nocloud_alpine-3.24.1-x86_64-bios-cloudinit-r0.qcow2.sha512: the digest alone.
const ALPINE_SHA512 = `${sha512('alpine')}\n`

// Shaped like openSUSE's Leap-16.0-Minimal-VM.x86_64-Cloud.qcow2.sha256.
const OPENSUSE_SHA256 = `${sha256('leap')}  Leap-16.0-Minimal-VM.x86_64-Cloud.qcow2\n`

// Shaped like CentOS Stream's CentOS-Stream-GenericCloud-10-latest.x86_64.qcow2.SHA256SUM: a link to the
// dated build's file, so it names the dated build, not "-latest".
const CENTOS_SHA256SUM = `# CentOS-Stream-GenericCloud-10-20261124.0.x86_64.qcow2: 935690240 bytes
SHA256 (CentOS-Stream-GenericCloud-10-20261124.0.x86_64.qcow2) = ${sha256('centos')}
`
const CENTOS_DIR = 'https://cloud.centos.org/centos/10-stream/x86_64/images'

describe('box/checksums', () => {
  it('reads every entry of a Debian SHA512SUMS (GNU style, two spaces)', () => {
    const entries = parseChecksumFile(DEBIAN_SHA512SUMS)
    expect(entries).to.have.length(10)
    expect(entries.every((entry) => entry.algorithm === 'sha512')).to.equal(true)
    expect(findDigest(entries, 'debian-12-genericcloud-amd64.qcow2')).to.deep.equal({
      algorithm: 'sha512',
      fileName: 'debian-12-genericcloud-amd64.qcow2',
      digest:
        'fea8003b84b3ef55c968197d9fc8b1ba0a61f079ae958319ee8775f3d9e2176e0c5fc9c663a4c649e17d4a91480ccd4b31071a70595138646d90f5e91127e268',
    })
    // The generic (not genericcloud) image differs only in a substring; it must not be confused.
    expect(findDigest(entries, 'debian-12-generic-amd64.qcow2')?.digest).to.match(/^3a4488ae/)
  })

  it('reads an Ubuntu SHA256SUMS (GNU style, binary-mode star)', () => {
    const entries = parseChecksumFile(UBUNTU_SHA256SUMS)
    expect(entries).to.have.length(10)
    expect(findDigest(entries, 'ubuntu-24.04-server-cloudimg-amd64.img')).to.deep.equal({
      algorithm: 'sha256',
      fileName: 'ubuntu-24.04-server-cloudimg-amd64.img',
      digest: 'a43b8adaf73a7a40fa2776f19445acbcb1619a7273b2e0bd44e0978f9ac578fa',
    })
    expect(findDigest(entries, 'ubuntu-24.04-server-cloudimg-arm64.img')?.digest).to.equal(
      '64a1121cdd0db7fed6f50e0c8fcf07b661455fdda3ff476fdeeafb1d29ffa4c5',
    )
  })

  it('reads a clear-signed Fedora CHECKSUM (BSD style) and skips the armour and comments', () => {
    const entries = parseChecksumFile(FEDORA_CHECKSUM)
    expect(entries.map((entry) => entry.fileName)).to.deep.equal([
      'Fedora-Cloud-Base-AmazonEC2-41-1.4.x86_64.raw.xz',
      'Fedora-Cloud-Base-Azure-41-1.4.x86_64.vhdfixed.xz',
      'Fedora-Cloud-Base-GCE-41-1.4.x86_64.tar.gz',
      'Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2',
      'Fedora-Cloud-Base-UKI-41-1.4.x86_64.qcow2',
    ])
    expect(findDigest(entries, 'Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2')).to.deep.equal({
      algorithm: 'sha256',
      fileName: 'Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2',
      digest: 'cca784b04c09bd3bcdf114b762bcd8fb46a5734b2124a96f9617a08c213e7ceb',
    })
  })

  it('accepts CRLF line ends, upper-case hex, "./" prefixes and dash-escaped lines', () => {
    const hex = 'A'.repeat(64)
    const text = `-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA512\r\n\r\n- SHA256 (./a.qcow2) = ${hex}\r\n${'b'.repeat(64)}  ./b.img\r\n`
    expect(parseChecksumFile(text)).to.deep.equal([
      {algorithm: 'sha256', fileName: 'a.qcow2', digest: 'a'.repeat(64)},
      {algorithm: 'sha256', fileName: 'b.img', digest: 'b'.repeat(64)},
    ])
  })

  it('ignores other algorithms and malformed lines', () => {
    const text = [
      `${'c'.repeat(32)}  md5.img`, // MD5SUMS
      `${'d'.repeat(40)}  sha1.img`, // SHA1SUMS
      `MD5 (x.img) = ${'e'.repeat(32)}`,
      `SHA256 (short.img) = ${'f'.repeat(63)}`, // a digest of the wrong length for its tag
      'not a checksum line',
    ].join('\n')
    expect(parseChecksumFile(text)).to.deep.equal([])
  })

  it('reads a Rocky CHECKSUM (BSD style, size comments) by its ".latest" name', () => {
    const entries = parseChecksumFile(ROCKY_CHECKSUM)
    expect(entries).to.have.length(3)
    expect(findDigest(entries, 'Rocky-9-GenericCloud-Base.latest.x86_64.qcow2')).to.deep.equal({
      algorithm: 'sha256',
      fileName: 'Rocky-9-GenericCloud-Base.latest.x86_64.qcow2',
      digest: ROCKY_LATEST,
    })
  })

  it("reads Arch's and openSUSE's per-image files (GNU style, one line)", () => {
    expect(findDigest(parseChecksumFile(ARCH_SHA256), 'Arch-Linux-x86_64-cloudimg.qcow2')?.digest).to.equal(sha256('arch'))
    expect(findDigest(parseChecksumFile(OPENSUSE_SHA256), 'Leap-16.0-Minimal-VM.x86_64-Cloud.qcow2')?.digest).to.equal(
      sha256('leap'),
    )
  })

  it("reads Alpine's bare-digest .sha512 as the digest of the image beside it", () => {
    const entries = parseChecksumFile(ALPINE_SHA512)
    expect(entries).to.deep.equal([{algorithm: 'sha512', fileName: BESIDE, digest: sha512('alpine')}])
    expect(findDigest(entries, 'nocloud_alpine-3.24.1-x86_64-bios-cloudinit-r0.qcow2')?.digest).to.equal(sha512('alpine'))
    // sha256sum reading standard input writes "-" for the name: the same thing.
    expect(parseChecksumFile(`${sha256('x')}  -\n`)).to.deep.equal([{algorithm: 'sha256', fileName: BESIDE, digest: sha256('x')}])
    // The algorithm comes from the length: 64 hex digits are a sha256.
    expect(findDigest(parseChecksumFile(sha256('y').toUpperCase()), 'y.img')).to.deep.equal({
      algorithm: 'sha256',
      fileName: BESIDE,
      digest: sha256('y'),
    })
  })

  it('does not apply a stray bare digest in a list of named entries to an unlisted image', () => {
    const entries = parseChecksumFile(`${sha256('a')}  a.img\n${sha256('b')}\n`)
    expect(findDigest(entries, 'c.img')).to.equal(undefined)
    expect(findDigest(entries, 'a.img')?.digest).to.equal(sha256('a'))
  })

  it("takes the one entry of an image's own sidecar file even under another name (CentOS Stream's -latest)", () => {
    const entries = parseChecksumFile(CENTOS_SHA256SUM)
    const image = 'CentOS-Stream-GenericCloud-10-latest.x86_64.qcow2'
    const checksumUrl = `${CENTOS_DIR}/${image}.SHA256SUM`
    // Without knowing where the file came from, a different name is not the image's.
    expect(findDigest(entries, image)).to.equal(undefined)
    expect(findDigest(entries, image, 'sha256', 'The checksum file', {checksumUrl})).to.deep.equal({
      algorithm: 'sha256',
      fileName: 'CentOS-Stream-GenericCloud-10-20261124.0.x86_64.qcow2',
      digest: sha256('centos'),
    })
    // A folder-wide file is not a sidecar: its other entries are other images.
    expect(findDigest(entries, image, 'sha256', 'The checksum file', {checksumUrl: `${CENTOS_DIR}/CHECKSUM`})).to.equal(undefined)
    // Nor is a sidecar that lists several names: which one would it be?
    const two = parseChecksumFile(`${sha256('a')}  a.qcow2\n${sha256('b')}  b.qcow2\n`)
    expect(findDigest(two, image, undefined, undefined, {checksumUrl})).to.equal(undefined)
  })

  it('knows a sidecar file by its name: the image name plus a checksum suffix', () => {
    const image = 'Arch-Linux-x86_64-cloudimg.qcow2'
    const base = 'https://geo.mirror.pkgbuild.com/images/latest/'
    for (const suffix of ['.SHA256', '.sha256', '.sha512', '.SHA256SUM', '.sha256sum', '.CHECKSUM']) {
      expect(isSidecarFile(`${base}${image}${suffix}`, image), suffix).to.equal(true)
    }
    expect(isSidecarFile(`${base}SHA256SUMS`, image)).to.equal(false)
    expect(isSidecarFile(`${base}${image}.sig`, image)).to.equal(false)
    expect(isSidecarFile(`${base}other.qcow2.SHA256`, image)).to.equal(false)
    expect(isSidecarFile(`https://example.org/my%20image.img.sha256`, 'my image.img')).to.equal(true)
    expect(isSidecarFile('/srv/images/a.qcow2.sha256', 'a.qcow2')).to.equal(true)
  })

  it('prefers the requested algorithm, else the strongest, when a name is listed under both', () => {
    const entries = parseChecksumFile(`SHA256 (x.img) = ${'1'.repeat(64)}\nSHA512 (x.img) = ${'2'.repeat(128)}\n`)
    expect(findDigest(entries, 'x.img', 'sha256')?.digest).to.equal('1'.repeat(64))
    expect(findDigest(entries, 'x.img')?.digest).to.equal('2'.repeat(128))
    // A preference the file cannot satisfy falls back to what it has.
    expect(findDigest(parseChecksumFile(`${'3'.repeat(64)}  y.img`), 'y.img', 'sha512')?.algorithm).to.equal('sha256')
  })

  it('returns undefined for a name the file does not list', () => {
    expect(findDigest(parseChecksumFile(UBUNTU_SHA256SUMS), 'ubuntu-24.04-server-cloudimg-amd64')).to.equal(undefined)
  })

  it('refuses a name listed twice with different digests', () => {
    const entries = parseChecksumFile(`${'1'.repeat(64)}  x.img\n${'2'.repeat(64)} *x.img\n`)
    let error: unknown
    try {
      findDigest(entries, 'x.img', 'sha256', 'The checksum file https://example.org/SHA256SUMS')
    } catch (caught) {
      error = caught
    }
    expect(error).to.be.instanceOf(VmError)
    expect((error as VmError).code).to.equal('BOX_CHECKSUM_AMBIGUOUS')
    expect((error as VmError).message).to.equal(
      'The checksum file https://example.org/SHA256SUMS lists x.img more than once with different sha256 digests.',
    )
  })
})
