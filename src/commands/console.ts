import {Args, Flags} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {selectOneMachine} from '../machine/project.js'
import {openConsole} from '../steps/console.js'

export default class Console extends VmCommand {
  static override summary = "Attach to a machine's serial console."
  static override description =
    'Connects the terminal to the serial port of a running machine (boot messages, a login prompt) through `virsh console`; press Ctrl-] to leave. Useful when SSH does not answer. MACHINE may be left out when the project has one machine.'
  static override examples = ['<%= config.bin %> console', '<%= config.bin %> console web', '<%= config.bin %> console web --force']
  static override args = {machine: Args.string({description: 'The machine (optional when there is one).'})}
  static override flags = {
    force: Flags.boolean({summary: 'Take the console over from another session attached to it.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Console)
    const project = await this.loadProject()
    const machine = selectOneMachine(project, args.machine)
    const exitCode = await openConsole(this.services(flags.verbose), project, machine, {force: flags.force, terminal: Boolean(process.stdin.isTTY)})
    if (exitCode !== 0) this.exit(exitCode)
  }
}
