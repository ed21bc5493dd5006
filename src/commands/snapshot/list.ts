import {Args} from '@oclif/core'

import {VmCommand} from '../../base-command.js'
import {selectMachines} from '../../machine/project.js'
import {listSnapshots, stateWords, type SnapshotEntry} from '../../steps/snapshot.js'
import {formatTable} from '../../ui/table.js'

export default class SnapshotList extends VmCommand {
  static override summary = "List the machines' snapshots."
  static override description = `One row per snapshot, oldest first: the machine, the name ("*" marks the current one, which the machine's present state grew from), when it was taken, the state the machine had then and comes back to on restore (running, paused or shut off), and its description. Without MACHINE, every machine of the project. With --json: an array of {"machine", "name", "createdAt" (ISO 8601, UTC), "state" ("running", "paused" or "shutoff"), "description" (or null), "parent" (the snapshot it was taken after, or null), "current" (true or false)}.`
  static override examples = ['<%= config.bin %> snapshot list', '<%= config.bin %> snapshot list web', '<%= config.bin %> snapshot list --json']
  static override enableJsonFlag = true
  static override args = {machine: Args.string({description: 'The machine whose snapshots to list (default: all).'})}

  async run(): Promise<SnapshotEntry[]> {
    const {args, flags} = await this.parse(SnapshotList)
    const project = await this.loadProject()
    const machines = selectMachines(project, args.machine === undefined ? [] : [args.machine])
    const entries = await listSnapshots(this.services(flags.verbose), project, machines)
    if (entries.length === 0) {
      const which = args.machine ?? (machines.length === 1 ? machines[0]!.name : undefined)
      this.log(`No snapshots${which ? ` of ${which}` : ''}; \`vm snapshot save ${which ?? 'MACHINE'} NAME\` takes one.`)
      return entries
    }
    const rows = entries.map((e) => [e.machine, `${e.name}${e.current ? ' *' : ''}`, formatLocalTime(e.createdAt), stateWords(e.state), (e.description ?? '').replaceAll(/\s+/g, ' ')])
    for (const line of formatTable(['MACHINE', 'NAME', 'CREATED', 'STATE', 'DESCRIPTION'], rows)) this.log(line)
    return entries
  }
}

/** "2026-12-01 11:53:01" in the host's time zone: what a person compares with their clock. */
function formatLocalTime(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '?'
  const two = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
}
