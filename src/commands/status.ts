import {VmCommand} from '../base-command.js'
import {inspectSuspended} from '../libvirt/managed-save.js'
import {inspectMachine} from '../machine/inspect.js'

export type StatusEntry = {name: string; state: string; ip: string | null; domain: string}

export default class Status extends VmCommand {
  static override summary = "Show the state of the project's machines, read live from libvirt."
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']
  static override enableJsonFlag = true

  async run(): Promise<StatusEntry[]> {
    const {flags} = await this.parse(Status)
    const project = await this.loadProject()
    const {virsh} = this.services(flags.verbose)
    const statuses = await Promise.all(project.vmfile.machines.map((m) => inspectMachine(virsh, project.dir, m.name)))
    // libvirt calls a managed-saved machine "shut off"; it is suspended, and `vm resume` continues it.
    const suspended = await Promise.all(statuses.map((s) => inspectSuspended(virsh, s)))
    const entries = statuses.map((s, i) => ({name: s.name, state: suspended[i] ? 'suspended' : s.state, ip: s.ip ?? null, domain: s.domain}))
    const width = Math.max(4, ...entries.map((e) => e.name.length))
    const stateWidth = Math.max(5, ...entries.map((e) => e.state.length))
    this.log(`${'NAME'.padEnd(width)}  ${'STATE'.padEnd(stateWidth)}  IP`)
    for (const e of entries) this.log(`${e.name.padEnd(width)}  ${e.state.padEnd(stateWidth)}  ${e.ip ?? '-'}`)
    return entries
  }
}
