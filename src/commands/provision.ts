import {Args} from '@oclif/core'

import {allowFlags, lockFlags, VmCommand} from '../base-command.js'
import {selectMachines, type Project} from '../machine/project.js'
import type {MachineConfig} from '../vmfile/types.js'
import {requireRunning} from '../steps/running-machines.js'
import {provision} from '../steps/after-boot.js'
import {settleAll} from '../steps/settle.js'
import {machineOutput} from '../ui/output.js'

export default class Provision extends VmCommand {
  static override summary = "Run the machines' provisioners again."
  static override description = `Runs each machine's provisioners (shell, file, ansible) in order on the running machine, as on its first \`vm up\`. Machines run in parallel, their output prefixed with their names. The first failing provisioner stops that machine's list; the machine is kept and vm exits non-zero naming the provisioner and its exit status.`
  static override examples = ['<%= config.bin %> provision', '<%= config.bin %> provision web']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to provision (default: all).'})}
  static override flags = {...lockFlags, ...allowFlags}

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Provision)
    const project = await this.loadProject()
    const machines = selectMachines(project, argv as string[]).filter((m) => {
      if (m.provisioners.length === 0 && argv.length > 0) this.out.warn(`${m.name}: no provisioners in the Vmfile; nothing to do.`)
      return m.provisioners.length > 0
    })
    await this.requireConsent(project, flags.allow)
    await this.withProjectLock(project, flags['no-wait'], () => this.provisionAll(project, machines, flags.verbose))
  }

  private async provisionAll(project: Project, machines: MachineConfig[], verbose: boolean): Promise<void> {
    const services = this.services(verbose)
    const reachable = await requireRunning(services, project, machines, 'provisioners')
    const several = machines.length > 1
    await settleAll(
      reachable.map((r) => ({name: r.machine.name, ...r})),
      async (r) => {
        const out = several ? machineOutput(services.out, r.machine.name) : services.out
        await provision(services, project, {name: r.machine.name, machine: r.machine, domain: r.domain, ip: r.ip, created: false}, r.target, out)
      },
      'provision',
    )
  }
}
