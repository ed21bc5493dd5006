import {randomBytes} from 'node:crypto'
import {mkdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {allowFlags, VmCommand} from '../base-command.js'
import {parseSeedIso} from '../cloudinit/read-seed-iso.js'
import {renderSeedFiles} from '../cloudinit/seed.js'
import {inspectMachine} from '../machine/inspect.js'
import {seedVolumeName} from '../machine/names.js'
import {selectOneMachine, type Project} from '../machine/project.js'
import {GUEST_USER} from '../machine/ssh-target.js'
import type {Services} from '../services.js'
import {checkUserConfig} from '../steps/user-config.js'

/** The only secret in a seed: the machine's SSH host key, which vm generated and pinned. */
const PRIVATE_KEY = /-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]*?-----END OPENSSH PRIVATE KEY-----/g

export default class CloudInit extends VmCommand {
  static override summary = 'Print the cloud-init seed files a machine gets.'
  static override description = `For a machine that exists: the files of its seed ISO, read back from libvirt, exactly as the guest sees them (meta-data, user-data with the Vmfile's cloud_init merged into vm's own config, and network-config when the machine has more than one NIC). For one not created yet: what it would get, with placeholders for what is made at creation (the instance id and the host key). The machine's private host key is replaced by a marker unless --show-secrets is given. The user's cloud_init is also checked against cloud-init's schema when cloud-init is installed on this host.`
  static override examples = ['<%= config.bin %> cloud-init web', '<%= config.bin %> cloud-init web --file user-data']
  static override args = {machine: Args.string({description: 'The machine (optional when there is one).'})}
  static override flags = {
    ...allowFlags,
    file: Flags.string({summary: 'Print only this file.', options: ['meta-data', 'user-data', 'network-config']}),
    'show-secrets': Flags.boolean({summary: "Print the machine's private host key too."}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(CloudInit)
    const project = await this.loadProject()
    const machine = selectOneMachine(project, args.machine)
    await this.requireConsent(project, flags.allow)
    const services = this.services(flags.verbose)
    const status = await inspectMachine(services.virsh, project.dir, machine.name)
    const checked = await checkUserConfig(services, project, machine)
    for (const note of checked?.notes ?? []) this.out.warn(`${machine.name}: cloud_init: ${note}`)
    if (checked && !checked.schema.available) this.out.warn(`not checked against cloud-init's schema: ${checked.schema.reason}`)
    let files: Map<string, string>
    if (status.state === 'not_created') {
      this.out.warn(`${machine.name} is not created yet: this is the seed it would get; the instance id and host key are made at creation, and the network-config once its NICs have addresses.`)
      files = renderSeedFiles({
        hostname: machine.name,
        instanceId: '<made at creation>',
        user: GUEST_USER,
        authorizedKey: '<the project key, made at the first vm up>',
        hostKey: {privateKey: '<made at creation>', publicKey: '<made at creation>'},
        ...(checked ? {userConfig: checked.config} : {}),
      })
    } else {
      files = await readSeed(services, project, seedVolumeName(status.domain))
    }
    const shown = flags.file ? new Map([[flags.file, files.get(flags.file) ?? '']]) : files
    if (flags.file && !files.has(flags.file)) this.out.warn(`${machine.name}'s seed has no ${flags.file}.`)
    for (const [name, text] of shown) {
      const body = flags['show-secrets'] ? text : text.replace(PRIVATE_KEY, '<private host key: shown with --show-secrets>')
      if (!flags.file) this.log(`==> ${name} <==`)
      this.log(body.endsWith('\n') ? body.slice(0, -1) : body)
    }
  }
}

async function readSeed(services: Services, project: Project, volume: string): Promise<Map<string, string>> {
  await mkdir(project.paths.tmpDir, {recursive: true, mode: 0o700})
  const file = join(project.paths.tmpDir, `${volume}.${randomBytes(4).toString('hex')}`)
  try {
    await services.virsh.downloadVolume(services.libvirt.pool, volume, file)
    return parseSeedIso(await readFile(file))
  } finally {
    await rm(file, {force: true})
  }
}
