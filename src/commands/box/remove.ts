import {Args, Flags} from '@oclif/core'

import {VmCommand} from '../../base-command.js'
import {rowsNamed} from '../../box/inventory.js'
import {removeNamedBox} from '../../box/named-boxes.js'
import {VmError} from '../../errors.js'
import {readInventory} from '../../steps/read-inventory.js'
import {removeBoxData} from '../../steps/remove-box.js'

export type BoxRemoveResult = {name: string; removed: string[]; volumesDeleted: string[]; volumesKept: string[]}

export default class BoxRemove extends VmCommand {
  static override summary = 'Remove a box from this host: its name, its cached image and its pool volume.'
  static override description =
    'NAME is a name given to `vm box add`, or the name a box was fetched under (a catalog name such as debian-12, or the label of a URL box). Refuses while a machine\'s disk backs onto the box, unless --force; even then the volume those disks need stays in the pool until the machines are destroyed (`vm box prune` removes it afterwards).'
  static override examples = ['<%= config.bin %> box remove mybox', '<%= config.bin %> box remove debian-12 --force']
  static override enableJsonFlag = true
  static override args = {name: Args.string({required: true, description: 'The box to remove.'})}
  static override flags = {
    force: Flags.boolean({char: 'f', summary: "Remove it even though machines' disks back onto it (their volume is kept until they are destroyed)."}),
  }

  async run(): Promise<BoxRemoveResult> {
    const {args, flags} = await this.parse(BoxRemove)
    const services = this.services(flags.verbose)
    const {rows, libvirtReachable} = await readInventory(services)
    const matches = rowsNamed(rows, args.name)
    if (matches.length === 0) {
      const known = rows.flatMap((row) => row.names)
      throw new VmError(`There is no box named ${args.name} on this host.`, {
        code: 'BOX_NOT_FOUND',
        exitCode: 2,
        detail: known.length > 0 ? `Boxes here: ${[...new Set(known)].join(', ')}` : 'There are no boxes here yet.',
        hint: '`vm box list` shows them.',
      })
    }
    const users = matches.flatMap((row) => row.usedBy ?? [])
    if (!flags.force && !libvirtReachable) {
      throw new VmError(`Cannot tell whether machines use ${args.name}: libvirt did not answer.`, {
        code: 'BOX_USAGE_UNKNOWN',
        hint: 'Start libvirtd and try again, or pass --force.',
      })
    }
    if (users.length > 0 && !flags.force) {
      throw new VmError(`Box ${args.name} is in use: the disks of ${users.join(', ')} back onto it.`, {
        code: 'BOX_IN_USE',
        exitCode: 1,
        hint: 'Destroy those machines first (`vm destroy` in their projects), or pass --force to remove the box and keep only the volume their disks need.',
      })
    }
    const result: BoxRemoveResult = {name: args.name, removed: [], volumesDeleted: [], volumesKept: []}
    for (const row of matches) {
      if (row.entry) {
        const removed = await removeBoxData(services, row.entry)
        result.volumesDeleted.push(...removed.volumesDeleted)
        result.volumesKept.push(...removed.volumesKept)
      }
      // The added names that pointed at this data go with it; a catalog name needs no record.
      for (const name of row.names) if (await removeNamedBox(services.home, name)) result.removed.push(name)
      if (row.sha256) result.removed.push(row.sha256)
    }
    this.log(`Removed box ${args.name}${result.volumesDeleted.length > 0 ? ` and volume ${result.volumesDeleted.join(', ')}` : ''}.`)
    if (result.volumesKept.length > 0) {
      this.log(`Kept ${result.volumesKept.join(', ')}: ${users.join(', ')} still use it; \`vm box prune\` removes it once they are destroyed.`)
    }
    return result
  }
}
