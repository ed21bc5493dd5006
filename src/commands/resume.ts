import {Args} from '@oclif/core'

import {lockFlags, VmCommand} from '../base-command.js'
import {selectMachines} from '../machine/project.js'
import {resumeMachines} from '../steps/suspend.js'

export default class Resume extends VmCommand {
  static override summary = 'Continue suspended or paused machines.'
  static override description =
    "Restores each suspended machine's memory (see `vm suspend`) and lets it run on, and resumes paused ones. Resume does not boot: a halted machine starts with `vm up`. The guest's clock is behind by the time it was suspended until the guest corrects it."
  static override examples = ['<%= config.bin %> resume', '<%= config.bin %> resume web']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to resume (default: all).'})}
  static override flags = {...lockFlags}

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Resume)
    const project = await this.loadProject()
    const machines = selectMachines(project, argv as string[])
    await this.withProjectLock(project, flags['no-wait'], () => resumeMachines(this.services(flags.verbose), project, machines))
  }
}
