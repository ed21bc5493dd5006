import {Args} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {inspectMachine} from '../machine/inspect.js'
import {selectMachines} from '../machine/project.js'
import {sshTarget} from '../machine/ssh-target.js'
import {renderSshConfig} from '../ssh/ssh-args.js'

export default class SshConfig extends VmCommand {
  static override summary = 'Print an OpenSSH config block for running machines.'
  static override description = 'Append it to ~/.ssh/config (or Include it) to use plain ssh, scp or rsync with the machine: `vm ssh-config >> ~/.ssh/config`, then `ssh web`. The host key stays pinned.'
  static override examples = ['<%= config.bin %> ssh-config', '<%= config.bin %> ssh-config web']
  static override args = {machine: Args.string({description: 'The machine (default: every running one).'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SshConfig)
    const project = await this.loadProject()
    const machines = selectMachines(project, args.machine ? [args.machine] : [])
    const {virsh} = this.services(flags.verbose)
    const statuses = await Promise.all(machines.map((m) => inspectMachine(virsh, project.dir, m.name)))
    const blocks = statuses.flatMap((s) => (s.ip ? [renderSshConfig(s.name, sshTarget(project, s.domain, s.ip))] : []))
    for (const s of statuses) if (!s.ip) this.out.warn(`${s.name} is ${s.state.replace('_', ' ')}: no address to write; run \`vm up ${s.name}\`.`)
    this.log(blocks.join('\n').trimEnd())
  }
}
