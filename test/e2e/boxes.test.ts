import {copyFile, link, mkdir, readdir, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'
import * as tar from 'tar'

import {projectHash} from '../../src/machine/names.js'
import {domainsNamed, note, removeDebrisOfEarlierRuns, serveImage, tempDir, testImage, vm, volumesNamed, type ImageServer} from './helpers.js'

type BoxListEntry = {names: string[]; sha256: string; storedIn: string[]; usedBy: string[] | null; format: string | null}

/**
 * Boxes on real libvirt: a Vagrant libvirt .box made from the test image is added, boots a
 * machine, is refused removal while in use, and is pruned afterwards; two processes adding the
 * same URL at once download it once.
 */
describe('vm box on real libvirt', function () {
  let root: string
  let home: string
  let projectDir: string
  let project: string
  let boxPath: string
  let boxSha256: string
  const run = (args: string[]) => vm(args, {cwd: projectDir, home})

  before(async function () {
    root = await tempDir('vm-e2e-box-')
    home = join(root, 'home')
    projectDir = join(root, 'boxlab')
    await mkdir(projectDir)
    project = projectHash(projectDir)
    await removeDebrisOfEarlierRuns()
    boxPath = await makeVagrantBox(testImage(), join(root, 'vagrant'))
  })

  after(async function () {
    await run(['destroy', '-f']).catch(() => undefined)
  })

  it('adds a Vagrant libvirt .box: one qcow2, in the pool only (one copy per host)', async function () {
    const result = await run(['box', 'add', 'testbox', boxPath])
    note(`vm box add of a ${((await stat(boxPath)).size / 2 ** 20).toFixed(0)} MiB .box: ${result.seconds.toFixed(1)} s`)
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^Added box testbox: sha256 [0-9a-f]{12}, .* \(from vagrant-box/m)
    const [entry] = JSON.parse((await run(['box', 'list', '--json'])).stdout) as BoxListEntry[]
    boxSha256 = entry!.sha256
    expect(entry!.names).to.include('testbox')
    expect(entry!.storedIn).to.deep.equal(['pool vmfile-e2e'])
    expect(entry!.usedBy).to.deep.equal([])
    expect(await readdir(join(home, 'cache/boxes/sha256', boxSha256))).to.deep.equal(['meta.json'])
    expect(await volumesNamed(boxSha256)).to.deep.equal([`${boxSha256}.qcow2`])
  })

  it('boots a machine from it with `box: testbox`', async function () {
    await writeFile(join(projectDir, 'Vmfile'), 'box: testbox\nmemory: 1GiB\n')
    const up = await run(['up'])
    note(`vm up from an added .box: ${up.seconds.toFixed(1)} s`)
    expect(up.exitCode, up.stderr).to.equal(0)
    expect((await run(['ssh', '--', 'hostname'])).stdout.trim()).to.equal('default')
  })

  it('lists the machine as a user of the box and refuses to remove the box while it is used', async function () {
    const [entry] = JSON.parse((await run(['box', 'list', '--json'])).stdout) as BoxListEntry[]
    expect(entry!.usedBy).to.deep.equal(await domainsNamed(project))
    const remove = await run(['box', 'remove', 'testbox'])
    expect(remove.exitCode).to.equal(1)
    expect(remove.stderr).to.match(/^Error: Box testbox is in use: the disks of boxlab-default-[0-9a-f]{8} back onto it\.$/m)
    expect(await volumesNamed(boxSha256)).to.deep.equal([`${boxSha256}.qcow2`])
  })

  it('prunes the box and its volume once no machine uses it', async function () {
    expect((await run(['destroy', '-f'])).exitCode).to.equal(0)
    const dry = await run(['box', 'prune', '--dry-run'])
    expect(dry.stdout).to.match(/^Would remove box testbox/m)
    expect(await volumesNamed(boxSha256)).to.deep.equal([`${boxSha256}.qcow2`])
    const prune = await run(['box', 'prune'])
    expect(prune.exitCode, prune.stderr).to.equal(0)
    expect(prune.stdout).to.match(/^Removed box testbox/m)
    expect(await volumesNamed(boxSha256)).to.deep.equal([])
    expect(await readdir(join(home, 'cache/boxes/sha256'))).to.deep.equal([])
    expect(JSON.parse((await run(['box', 'list', '--json'])).stdout)).to.deep.equal([])
  })

  describe('two processes adding one URL at once', function () {
    let server: ImageServer
    before(async function () {
      server = await serveImage(testImage())
    })
    after(async function () {
      await server?.close()
    })

    it('download it once: the second waits for the first, then finds it in the cache', async function () {
      const shared = join(root, 'shared-home')
      const add = (name: string) =>
        vm(['box', 'add', name, server.imageUrl, '--checksum-url', server.checksumUrl], {cwd: projectDir, home: shared})
      const [first, second] = await Promise.all([add('one'), add('two')])
      expect(first.exitCode, first.stderr).to.equal(0)
      expect(second.exitCode, second.stderr).to.equal(0)
      expect(`${first.stdout}\n${second.stdout}`).to.match(/Waiting for another vm process that is fetching/)
      expect(server.requests.filter((path) => path.endsWith('.qcow2'))).to.have.length(1)
      const boxes = JSON.parse((await vm(['box', 'list', '--json'], {cwd: projectDir, home: shared})).stdout) as BoxListEntry[]
      expect(boxes.map((b) => b.names)).to.deep.equal([['one', 'two']])
      expect((await vm(['box', 'prune'], {cwd: projectDir, home: shared})).exitCode).to.equal(0)
    })
  })
})

/** A Vagrant libvirt box as `vagrant package` makes one: metadata.json, Vagrantfile and box.img in a tar.gz. */
async function makeVagrantBox(image: string, dir: string): Promise<string> {
  await mkdir(dir, {recursive: true})
  await link(image, join(dir, 'box.img')).catch(() => copyFile(image, join(dir, 'box.img')))
  const virtualSize = Math.ceil(JSON.parse(await readQemuInfo(image))['virtual-size'] / 2 ** 30)
  await writeFile(join(dir, 'metadata.json'), JSON.stringify({provider: 'libvirt', format: 'qcow2', virtual_size: virtualSize}))
  await writeFile(join(dir, 'Vagrantfile'), 'Vagrant.configure("2") do |config|\nend\n')
  const file = join(dir, '..', 'test.box')
  await tar.create({gzip: {level: 1}, file, cwd: dir, portable: true}, ['./metadata.json', './Vagrantfile', './box.img'])
  return file
}

async function readQemuInfo(image: string): Promise<string> {
  const {execa} = await import('execa')
  return (await execa('qemu-img', ['info', '--output=json', image])).stdout
}
