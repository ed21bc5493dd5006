import {createInterface} from 'node:readline/promises'

import {Args, Flags} from '@oclif/core'

import {lockFlags, VmCommand} from '../base-command.js'
import {VmError} from '../errors.js'
import {selectMachines} from '../machine/project.js'
import {destroyMachines} from '../steps/destroy.js'

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
    if (!flags.force) await this.confirm(machines.map((m) => m.name))
    await this.withProjectLock(project, flags['no-wait'], () => destroyMachines(this.services(flags.verbose), project, machines))
  }

  private async confirm(names: string[]): Promise<void> {
    const question = `Destroy ${names.join(', ')} and their disks? [y/N] `
    if (!process.stdin.isTTY) {
      throw new VmError('Refusing to destroy without confirmation when not run from a terminal.', {
        code: 'CONFIRMATION_NEEDED',
        exitCode: 2,
        hint: `Run \`vm destroy -f ${names.join(' ')}\`.`,
      })
    }
    const prompt = createInterface({input: process.stdin, output: process.stderr})
    const answer = await prompt.question(question).finally(() => prompt.close())
    if (!/^y(es)?$/i.test(answer.trim())) {
      throw new VmError('Nothing destroyed.', {code: 'DESTROY_DECLINED', exitCode: 1})
    }
  }
}
