import {Args} from '@oclif/core'

import {lockFlags, VmCommand} from '../../base-command.js'
import {deleteSnapshot, resolveSnapshotTarget} from '../../steps/snapshot.js'

export default class SnapshotDelete extends VmCommand {
  static override summary = "Delete a machine's snapshot."
  static override description = `Removes the snapshot from the machine's disk; the machine itself, running or not, is untouched, and so are its other snapshots. MACHINE may be left out when the project has one machine.`
  static override usage = 'snapshot delete [MACHINE] NAME'
  static override examples = ['<%= config.bin %> snapshot delete before-upgrade', '<%= config.bin %> snapshot delete web before-upgrade']
  static override args = {
    machine: Args.string({description: 'The machine (optional when the project has one).'}),
    name: Args.string({description: 'The snapshot to delete.'}),
  }
  static override flags = {...lockFlags}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SnapshotDelete)
    const project = await this.loadProject()
    const {machine, name} = resolveSnapshotTarget(project, 'delete', args.machine, args.name)
    await this.withProjectLock(project, flags['no-wait'], () => deleteSnapshot(this.services(flags.verbose), project, machine, name))
  }
}
