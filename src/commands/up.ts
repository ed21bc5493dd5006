import {Args, Flags} from '@oclif/core'

import {allowFlags, lockFlags, provisionFlags, provisionWhen, VmCommand} from '../base-command.js'
import {selectMachines} from '../machine/project.js'
import {upMachines} from '../steps/up.js'

export default class Up extends VmCommand {
  static override summary = "Create and boot the project's machines, and wait until they are ready."
  static override description = `Machines that do not exist yet are created from their box (downloaded and verified on first use) and booted; halted ones are started; running ones are left alone. Machines come up in parallel. Each prints its milestones with the time since it started: booting, IP, SSH ready, cloud-init done. Then rsync folders are copied in and, on a machine's first up (or with --provision), its provisioners run; a failing provisioner keeps the machine and makes vm exit non-zero.`
  static override examples = ['<%= config.bin %> up', '<%= config.bin %> up web db', '<%= config.bin %> up --provision', '<%= config.bin %> up --timeout 1200']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to bring up (default: all).'})}
  static override flags = {
    ...lockFlags,
    ...allowFlags,
    timeout: Flags.integer({summary: 'Seconds to wait for each machine to be ready.', default: 600, min: 1}),
    ...provisionFlags,
    insecure: Flags.boolean({
      summary: 'Accept a box whose image and checksum file both come over plain http (from a host other than this one).',
      description: 'Such a checksum proves nothing: anyone on the network path could change both files. Pin the digest (sha256:) or use https instead where you can.',
    }),
    'destroy-on-error': Flags.boolean({
      summary: 'Remove a machine this run created if it fails to come up (--no-destroy-on-error keeps it for debugging).',
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Up)
    const project = await this.loadProject()
    const machines = selectMachines(project, argv as string[])
    await this.requireConsent(project, flags.allow)
    await this.withProjectLock(project, flags['no-wait'], () =>
      upMachines(this.services(flags.verbose), project, machines, {
        timeoutSeconds: flags.timeout,
        destroyOnError: flags['destroy-on-error'],
        toolVersion: this.config.version,
        provision: provisionWhen(flags.provision),
        insecure: flags.insecure,
      }),
    )
  }
}
