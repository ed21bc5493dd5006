import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {useProject, VIRSH, virsh, vm} from './helpers.js'

describe('vm box', () => {
  const project = useProject('box: debian-12\n')
  const unreachable = [{argv: virsh('pool-info', 'vmfile'), stderr: VIRSH.noSocket, exitCode: 1}]

  it('list on a new host: says how boxes arrive, and that libvirt could not say who uses what', async () => {
    const result = await vm(project(), ['box', 'list'], unreachable)
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^No boxes yet\./m)
    expect(result.stderr).to.match(/^Warning: Cannot reach libvirt at qemu:\/\/\/system/m)
  })

  it('list --available --json: the catalog, with aliases, and not one virsh call', async () => {
    const result = await vm(project(), ['box', 'list', '--available', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const boxes = JSON.parse(result.stdout) as Array<{name: string; aliases: string[]}>
    const names = boxes.map((b) => b.name)
    for (const name of ['debian-12', 'debian-13', 'ubuntu-22.04', 'ubuntu-24.04']) expect(names).to.include(name)
    const aliases = boxes.flatMap((b) => b.aliases)
    for (const alias of ['ubuntu', 'ubuntu-lts', 'debian', 'fedora', 'alpine', 'arch']) expect(aliases).to.include(alias)
    expect(result.calls).to.deep.equal([])
  })

  it('list --available prints a table', async () => {
    const result = await vm(project(), ['box', 'list', '--available'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout.split('\n')[0]).to.match(/^NAME\s+ALIASES/)
    expect(result.stdout).to.match(/^debian-13\s+debian\b/m)
  })

  it('add refuses a remote image without a checksum before touching libvirt', async () => {
    const result = await vm(project(), ['box', 'add', 'x', 'https://example.org/x.qcow2'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.match(/^Error: Refusing to download https:\/\/example\.org\/x\.qcow2 without a checksum\.$/m)
    expect(result.stderr).to.match(/--insecure/)
    expect(result.calls).to.deep.equal([])
  })

  it('add refuses an image and checksum file both on plain http before touching libvirt, unless --insecure', async () => {
    const args = ['box', 'add', 'x', 'http://mirror.example/x.qcow2', '--checksum-url', 'http://mirror.example/SHA256SUMS']
    const result = await vm(project(), args)
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.match(
      /^Error: Refusing to trust box x: its image http:\/\/mirror\.example\/x\.qcow2 and its checksum file http:\/\/mirror\.example\/SHA256SUMS both come over plain http\.$/m,
    )
    expect(result.stderr).to.match(/--insecure/)
    expect(result.calls).to.deep.equal([])
    // --insecure gets past the check: the next thing is libvirt's pool (unreachable here).
    const insecure = await vm(project(), [...args, '--insecure'], unreachable)
    expect(insecure.stderr).to.not.match(/Refusing to trust/)
    expect(insecure.calls.length).to.be.greaterThan(0)
  })

  it('add refuses a bad name and a taken name, with what to do', async () => {
    const bad = await vm(project(), ['box', 'add', '../etc', '/tmp/x.qcow2'])
    expect(bad.exitCode).to.equal(2)
    expect(bad.stderr).to.match(/^Error: "\.\.\/etc" cannot be a box name\.$/m)
    const dir = join(project().home, 'data', 'boxes')
    await mkdir(dir, {recursive: true})
    const record = {name: 'mine', source: '/srv/mine.box', sha256: 'a'.repeat(64), verifiedBy: 'local-file', addedAt: '2026-11-01T00:00:00.000Z'}
    await writeFile(join(dir, 'mine.json'), JSON.stringify(record))
    const taken = await vm(project(), ['box', 'add', 'mine', '/tmp/x.qcow2'])
    expect(taken.exitCode).to.equal(2)
    expect(taken.stderr).to.match(/^Error: A box named mine was already added \(from \/srv\/mine\.box\)\.$/m)
    expect(taken.stderr).to.match(/vm box add --force mine/)
    expect(bad.calls.concat(taken.calls)).to.deep.equal([])
  })

  it('remove of an unknown box: exit 2 and the boxes that are here', async () => {
    const result = await vm(project(), ['box', 'remove', 'nope'], unreachable)
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.match(/^Error: There is no box named nope on this host\.$/m)
  })

  it('prune needs libvirt to know which boxes are in use', async () => {
    const result = await vm(project(), ['box', 'prune', '--dry-run'], unreachable)
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/^Error: Cannot prune boxes without libvirt/m)
  })
})
