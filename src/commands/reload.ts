import {Args, Flags} from '@oclif/core'

import {allowFlags, lockFlags, provisionFlags, provisionWhen, VmCommand} from '../base-command.js'
import {selectMachines} from '../machine/project.js'
import {reloadMachines} from '../steps/reload.js'

export default class Reload extends VmCommand {
  static override summary = 'Halt and boot the machines again, applying Vmfile changes that need a restart.'
  static override description = `Like \`vm halt\` then \`vm up\`, with the Vmfile's CPUs, memory and forwarded ports applied to each machine in between (its disk, addresses and keys stay). Changes that only a new machine can take (live folders, networks, the first forwarded port of a machine made without any) are refused before anything is halted, with the command that applies them. Machines that do not exist yet are created, as by \`vm up\`. Provisioners run as on \`vm up\`: on machines never provisioned, or on all with --provision.`
  static override examples = ['<%= config.bin %> reload', '<%= config.bin %> reload web', '<%= config.bin %> reload --provision']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to reload (default: all).'})}
  static override flags = {
    ...lockFlags,
    ...allowFlags,
    timeout: Flags.integer({summary: 'Seconds to wait for each machine to be ready.', default: 600, min: 1}),
    'halt-timeout': Flags.integer({summary: 'Seconds to wait for a clean shutdown before powering off.', default: 60, min: 0}),
    ...provisionFlags,
    insecure: Flags.boolean({
      summary: 'Accept a box whose image and checksum file both come over plain http (from a host other than this one).',
      description: 'Such a checksum proves nothing: anyone on the network path could change both files. Pin the digest (sha256:) or use https instead where you can.',
    }),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Reload)
    const project = await this.loadProject()
    const machines = selectMachines(project, argv as string[])
    await this.requireConsent(project, flags.allow)
    await this.withProjectLock(project, flags['no-wait'], () =>
      reloadMachines(this.services(flags.verbose), project, machines, {
        timeoutSeconds: flags.timeout,
        destroyOnError: true,
        toolVersion: this.config.version,
        provision: provisionWhen(flags.provision),
        insecure: flags.insecure,
        halt: {force: false, timeoutSeconds: flags['halt-timeout']},
      }),
    )
  }
}
