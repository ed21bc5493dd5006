import {Args} from '@oclif/core'

import {lockFlags, VmCommand} from '../base-command.js'
import {selectMachines} from '../machine/project.js'
import {suspendMachines} from '../steps/suspend.js'

export default class Suspend extends VmCommand {
  static override summary = "Suspend the project's machines to disk."
  static override description =
    "Saves each running machine's memory to disk and stops it (libvirt's managed save): it then uses no memory or CPU, survives a host reboot, and `vm resume` or `vm up` continues it where it was. A machine with a live (virtiofs) folder cannot be suspended; halt it instead."
  static override examples = ['<%= config.bin %> suspend', '<%= config.bin %> suspend web']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to suspend (default: all).'})}
  static override flags = {...lockFlags}

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Suspend)
    const project = await this.loadProject()
    const machines = selectMachines(project, argv as string[])
    await this.withProjectLock(project, flags['no-wait'], () => suspendMachines(this.services(flags.verbose), project, machines))
  }
}
