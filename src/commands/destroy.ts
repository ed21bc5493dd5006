import {Args, Flags} from '@oclif/core'

import {lockFlags, VmCommand} from '../base-command.js'
import {selectMachines} from '../machine/project.js'
import {destroyMachines} from '../steps/destroy.js'
import {confirmOrThrow} from '../ui/confirm.js'

export default class Destroy extends VmCommand {
  static override summary = "Remove the project's machines: domain, overlay disk and seed ISO."
  static override description = 'Powers each machine off and removes it from libvirt with its disk and seed ISO. The box stays cached for the next `vm up`. Asks first unless --force is given.'
  static override examples = ['<%= config.bin %> destroy -f', '<%= config.bin %> destroy web']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to destroy (default: all).'})}
  static override flags = {
    ...lockFlags,
    force: Flags.boolean({char: 'f', summary: 'Do not ask for confirmation.'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Destroy)
    const project = await this.loadProject()
    const machines = selectMachines(project, argv as string[])
    const names = machines.map((m) => m.name).join(' ')
    if (!flags.force) await confirmOrThrow(`Destroy ${machines.map((m) => m.name).join(', ')} and their disks?`, {verb: 'destroy', forced: `vm destroy -f ${names}`, declined: 'Nothing destroyed.'})
    await this.withProjectLock(project, flags['no-wait'], () => destroyMachines(this.services(flags.verbose), project, machines))
  }
}
