import {Args} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {inspectMachine} from '../machine/inspect.js'
import {selectMachines} from '../machine/project.js'
import {parseForwardsFromDomainXml} from '../ports/qemu-args.js'
import {formatTable} from '../ui/table.js'
import type {PortForward} from '../vmfile/types.js'

export type PortEntry = PortForward & {machine: string; state: string; active: boolean}

export default class Port extends VmCommand {
  static override summary = "List a machine's forwarded ports, as libvirt has them."
  static override description = `Each forward binds HOST_IP:HOST_PORT on the libvirt host while the machine runs and reaches GUEST_PORT in the machine (QEMU user-mode networking on a second NIC; it survives guest reboots and ends with the machine). The list is read from the machine's libvirt definition, so it is what the machine really has; a machine not created yet shows what the Vmfile asks for. Forwards are fixed when a machine is created: after changing ports in the Vmfile, \`vm destroy\` and \`vm up\` the machine.`
  static override examples = ['<%= config.bin %> port', '<%= config.bin %> port web', '<%= config.bin %> port web --json']
  static override enableJsonFlag = true
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to list (default: all).'})}

  async run(): Promise<PortEntry[]> {
    const {argv, flags} = await this.parse(Port)
    const project = await this.loadProject()
    const machines = selectMachines(project, argv as string[])
    const {virsh} = this.services(flags.verbose)
    const entries: PortEntry[] = []
    for (const machine of machines) {
      const status = await inspectMachine(virsh, project.dir, machine.name)
      const xml = status.state === 'not_created' ? undefined : await virsh.domainXml(status.domain)
      const forwards = xml === undefined ? machine.ports : parseForwardsFromDomainXml(xml)
      for (const forward of forwards) entries.push({machine: machine.name, state: status.state, active: status.state === 'running', ...forward})
    }
    if (entries.length === 0) {
      this.log(`No forwarded ports${machines.length === 1 ? ` on ${machines[0]!.name}` : ''}; add them under \`ports:\` in the Vmfile.`)
      return entries
    }
    const rows = entries.map((e) => [e.machine, `${e.hostIp}:${e.hostPort}`, String(e.guestPort), e.protocol, e.active ? 'active' : `inactive (${e.state.replaceAll('_', ' ')})`])
    for (const line of formatTable(['MACHINE', 'HOST', 'GUEST', 'PROTO', 'STATE'], rows)) this.log(line)
    return entries
  }
}
