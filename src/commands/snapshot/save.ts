import {Args, Flags} from '@oclif/core'

import {lockFlags, VmCommand} from '../../base-command.js'
import {resolveSnapshotTarget, saveSnapshot} from '../../steps/snapshot.js'

export default class SnapshotSave extends VmCommand {
  static override summary = "Take a snapshot of a machine's disk, and of its memory when it runs."
  static override description = `Saves a libvirt snapshot inside the machine's disk (an internal qcow2 snapshot). A running machine is paused for about a second while its memory is written too, so \`vm snapshot restore\` brings it back running, processes and all; a halted machine's snapshot holds the disk and restores halted. A machine with a live (virtiofs) folder can be snapshotted only when halted. Names are letters, digits, ".", "_" and "-". MACHINE may be left out when the project has one machine. Snapshots go with the machine's disk on \`vm destroy\`.`
  static override usage = 'snapshot save [MACHINE] NAME [--description TEXT]'
  static override examples = ['<%= config.bin %> snapshot save before-upgrade', '<%= config.bin %> snapshot save web before-upgrade --description "nginx 1.22, before apt upgrade"']
  static override args = {
    machine: Args.string({description: 'The machine (optional when the project has one).'}),
    name: Args.string({description: 'The snapshot name.'}),
  }
  static override flags = {
    ...lockFlags,
    description: Flags.string({summary: 'A note kept with the snapshot; `vm snapshot list` shows it.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SnapshotSave)
    const project = await this.loadProject()
    const {machine, name} = resolveSnapshotTarget(project, 'save', args.machine, args.name)
    await this.withProjectLock(project, flags['no-wait'], () =>
      saveSnapshot(this.services(flags.verbose), project, machine, name, flags.description === undefined ? {} : {description: flags.description}),
    )
  }
}
