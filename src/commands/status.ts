import {VmCommand} from '../base-command.js'
import {inspectSuspended} from '../libvirt/managed-save.js'
import {inspectMachine, inspectPauseProblem} from '../machine/inspect.js'

/** One machine in `vm status --json`. */
export type StatusEntry = {
  name: string
  /** libvirt's state (not_created, running, shutoff, paused, ...), or suspended. */
  state: string
  ip: string | null
  domain: string
  /** Why a paused machine is paused when the host is to blame ("I/O error"); otherwise null. */
  problem: string | null
}

export default class Status extends VmCommand {
  static override summary = "Show the state of the project's machines, read live from libvirt."
  static override description = `--json prints a list of {name, state, ip, domain, problem}: state is libvirt's (not_created, running, shutoff, paused, ...) or suspended; problem is "I/O error" for a machine QEMU paused because a write to its disk failed (a full disk, usually), else null.`
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']
  static override enableJsonFlag = true

  async run(): Promise<StatusEntry[]> {
    const {flags} = await this.parse(Status)
    const project = await this.loadProject()
    const services = this.services(flags.verbose)
    const {virsh} = services
    const statuses = await Promise.all(project.vmfile.machines.map((m) => inspectMachine(virsh, project.dir, m.name)))
    // libvirt calls a managed-saved machine "shut off"; it is suspended, and `vm resume` continues it.
    const suspended = await Promise.all(statuses.map((s) => inspectSuspended(virsh, s)))
    const problems = await Promise.all(statuses.map((s) => inspectPauseProblem(virsh, s)))
    const entries = statuses.map((s, i) => ({name: s.name, state: suspended[i] ? 'suspended' : s.state, ip: s.ip ?? null, domain: s.domain, problem: problems[i] ?? null}))
    const shown = entries.map((e) => (e.problem ? `${e.state} (${e.problem})` : e.state))
    const width = Math.max(4, ...entries.map((e) => e.name.length))
    const stateWidth = Math.max(5, ...shown.map((s) => s.length))
    this.log(`${'NAME'.padEnd(width)}  ${'STATE'.padEnd(stateWidth)}  IP`)
    entries.forEach((e, i) => this.log(`${e.name.padEnd(width)}  ${shown[i]!.padEnd(stateWidth)}  ${e.ip ?? '-'}`))
    const {local, poolPath, pool} = services.libvirt
    const where = local ? `${poolPath} (\`df -h ${poolPath}\`)` : `pool ${pool}`
    for (const e of entries.filter((entry) => entry.problem)) {
      this.out.warn(`${e.name}: QEMU paused it because a write to its disk failed: the disk that holds ${where} is probably full. Free space there, then \`vm up ${e.name}\` lets it run again.`)
    }
    return entries
  }
}
