import {Args, Flags} from '@oclif/core'

import {lockFlags, VmCommand} from '../base-command.js'
import {selectMachines} from '../machine/project.js'
import {haltMachines} from '../steps/halt.js'

export default class Halt extends VmCommand {
  static override summary = "Shut the project's machines down."
  static override description = 'Asks each guest to shut down (ACPI, like pressing the power button) and powers it off if it has not stopped within --timeout seconds. --force powers off at once. Disks are kept; `vm up` starts the machines again.'
  static override examples = ['<%= config.bin %> halt', '<%= config.bin %> halt web --force']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to halt (default: all).'})}
  static override flags = {
    ...lockFlags,
    force: Flags.boolean({char: 'f', summary: 'Power off at once, without asking the guest.'}),
    timeout: Flags.integer({summary: 'Seconds to wait for a clean shutdown before powering off.', default: 60, min: 0}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Halt)
    const project = await this.loadProject()
    const machines = selectMachines(project, argv as string[])
    await this.withProjectLock(project, flags['no-wait'], () =>
      haltMachines(this.services(flags.verbose), project, machines, {force: flags.force, timeoutSeconds: flags.timeout}),
    )
  }
}
