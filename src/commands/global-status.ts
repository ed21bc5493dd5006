import {VmCommand} from '../base-command.js'
import {inspectAllMachines, type ManagedMachine} from '../machine/inspect-all.js'
import {formatTable} from '../ui/table.js'

export default class GlobalStatus extends VmCommand {
  static override summary = 'Show every machine vm manages on this libvirt host, across projects.'
  static override description = `Read live from libvirt: every domain that carries vm's ownership metadata, with its project folder, state and IP. Nothing is cached, so nothing goes stale; a machine whose project folder was deleted is still listed (marked "folder gone"), and \`vm destroy\` from a folder with the same path and Vmfile removes it. Works from any folder. --json prints a list of {name, project, state, ip, domain, projectExists}.`
  static override examples = ['<%= config.bin %> global-status', '<%= config.bin %> global-status --json']
  static override enableJsonFlag = true

  async run(): Promise<ManagedMachine[]> {
    const {flags} = await this.parse(GlobalStatus)
    const {virsh} = this.services(flags.verbose)
    await virsh.version()
    const machines = await inspectAllMachines(virsh)
    if (machines.length === 0) {
      this.log(`No machines made by vm on ${virsh.uri}.`)
      return machines
    }
    const rows = machines.map((m) => [m.name, m.state, m.ip ?? '-', m.projectExists ? m.project : `${m.project} (folder gone)`])
    for (const line of formatTable(['NAME', 'STATE', 'IP', 'PROJECT'], rows)) this.log(line)
    return machines
  }
}
