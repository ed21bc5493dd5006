import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {domainName} from '../../src/machine/names.js'
import {useProject, virsh, vm, VIRSH, type Call, type Project} from './helpers.js'

const VMFILE = `box: debian-12
cloud_init:
  packages: [git]
  users: [{name: alice}]
ports: ["127.0.0.1:18080:80", "5353:53/udp"]
provision:
  - shell: "echo hi"
`

/** The machine does not exist in libvirt. */
function notCreated(project: Project): Call {
  const domain = domainName(project.dir, 'default')
  return {argv: virsh('domstate', domain), stderr: VIRSH.missingDomain(domain), exitCode: 1}
}

describe('issue 4 commands without a machine', () => {
  const project = useProject(VMFILE)

  it('vm port lists what the Vmfile asks for while the machine is not created', async () => {
    const result = await vm(project(), ['port', '--json'], [notCreated(project())])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.deep.equal([
      {machine: 'default', state: 'not_created', active: false, hostIp: '127.0.0.1', hostPort: 18080, guestPort: 80, protocol: 'tcp'},
      {machine: 'default', state: 'not_created', active: false, hostIp: '127.0.0.1', hostPort: 5353, guestPort: 53, protocol: 'udp'},
    ])
  })

  it('vm cloud-init prints the merged user-data a new machine would get: our user first, theirs after', async () => {
    const result = await vm(project(), ['cloud-init', '--file', 'user-data'], [notCreated(project())])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stderr).to.match(/is not created yet/)
    expect(result.stdout).to.match(/^#cloud-config\n/)
    expect(result.stdout.indexOf('name: vm')).to.be.lessThan(result.stdout.indexOf('name: alice'))
    expect(result.stdout).to.match(/^ {2}- git$/m)
  })

  it('vm provision names the machines that are not running and how to start them', async () => {
    const result = await vm(project(), ['provision'], [notCreated(project())])
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/^Error: default is not created; provisioners need a running machine\.$/m)
    expect(result.stderr).to.match(/^Hint: Run `vm up default` first\.$/m)
  })

  it('vm validate refuses a cloud_init file without #cloud-config, and a config cloud-init\'s schema refuses, without libvirt', async () => {
    await writeFile(join(project().dir, 'user.yaml'), '#!/bin/sh\necho hi\n')
    await writeFile(join(project().dir, 'Vmfile'), 'box: debian-12\ncloud_init: ./user.yaml\n')
    const script = await vm(project(), ['validate'])
    expect(script.exitCode).to.equal(2)
    expect(script.stderr).to.match(/user\.yaml does not start with the line #cloud-config/)
    await writeFile(join(project().dir, 'Vmfile'), 'box: debian-12\ncloud_init:\n  packages: git\n')
    const schema = await vm(project(), ['validate'])
    expect(schema.exitCode).to.equal(2)
    expect(schema.stderr).to.match(/^Error: default: the user-data does not pass cloud-init's schema check/m)
    expect(schema.stderr).to.match(/^ {2}packages: 'git' is not of type 'array'$/m)
    expect(schema.calls).to.deep.equal([])
  })
})
