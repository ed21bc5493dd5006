import {Args} from '@oclif/core'

import {lockFlags, VmCommand} from '../../base-command.js'
import {resolveSnapshotTarget, restoreSnapshot} from '../../steps/snapshot.js'

export default class SnapshotRestore extends VmCommand {
  static override summary = 'Bring a machine back to a snapshot.'
  static override description = `The machine's disk goes back to the snapshot, and so does the machine: a snapshot taken while it ran comes back running (memory and processes as they were; the guest's clock is behind until it corrects it), one taken while halted comes back halted. Whatever the machine holds now is lost, memory saved by \`vm suspend\` included; take a snapshot first to keep it. After restoring a running snapshot, waits until its SSH port answers. MACHINE may be left out when the project has one machine.`
  static override usage = 'snapshot restore [MACHINE] NAME'
  static override examples = ['<%= config.bin %> snapshot restore before-upgrade', '<%= config.bin %> snapshot restore web before-upgrade']
  static override args = {
    machine: Args.string({description: 'The machine (optional when the project has one).'}),
    name: Args.string({description: 'The snapshot to restore.'}),
  }
  static override flags = {...lockFlags}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SnapshotRestore)
    const project = await this.loadProject()
    const {machine, name} = resolveSnapshotTarget(project, 'restore', args.machine, args.name)
    await this.withProjectLock(project, flags['no-wait'], () => restoreSnapshot(this.services(flags.verbose), project, machine, name))
  }
}
