import {Args, Flags} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {VmError} from '../errors.js'
import {inspectMachine} from '../machine/inspect.js'
import {requireProjectKey, selectOneMachine} from '../machine/project.js'
import {sshTarget} from '../machine/ssh-target.js'
import {sshArgs} from '../ssh/ssh-args.js'

export default class Ssh extends VmCommand {
  static override summary = 'Log in to a machine, or run a command on it.'
  static override description = `Without a command: an interactive login. With one (after --): runs it and passes its output and exit status through; like ssh, the words are joined and read by the guest's shell. The host key is checked against the one vm pinned when it made the machine. MACHINE may be left out when the project has one machine.`
  static override examples = ['<%= config.bin %> ssh', '<%= config.bin %> ssh web', '<%= config.bin %> ssh web -- sudo systemctl status nginx', "<%= config.bin %> ssh -- 'df -h / | tail -1'"]
  static override strict = false
  static override args = {machine: Args.string({description: 'The machine (optional when there is one).'})}
  static override flags = {
    'forward-agent': Flags.boolean({
      char: 'A',
      summary: "Hand the guest your ssh agent for this login (off otherwise, whatever ~/.ssh/config says): anyone root on the guest can use your keys while you are logged in.",
    }),
    'forward-x11': Flags.boolean({char: 'X', summary: 'Forward X11 for this login (off otherwise, whatever ~/.ssh/config says).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Ssh)
    // Split the raw argv at "--" ourselves: oclif drops the marker, and we must not take the
    // first word of the command for a machine name.
    const dashes = this.argv.indexOf('--')
    const before = (dashes === -1 ? this.argv : this.argv.slice(0, dashes)).filter((a) => !a.startsWith('-'))
    const command = dashes === -1 ? [] : this.argv.slice(dashes + 1)
    if (before.length > 1) {
      throw new VmError(`Too many arguments: ${before.join(' ')}.`, {code: 'USAGE', exitCode: 2, hint: 'Put the command after --: `vm ssh MACHINE -- COMMAND...`.'})
    }
    const project = await this.loadProject()
    const machine = selectOneMachine(project, before[0])
    const services = this.services(flags.verbose)
    const status = await inspectMachine(services.virsh, project.dir, machine.name)
    if (status.state !== 'running' || !status.ip) {
      throw new VmError(`${machine.name} is ${status.state === 'running' ? 'running but has no IP address yet' : status.state.replace('_', ' ')}.`, {
        code: 'MACHINE_NOT_RUNNING',
        hint: `Run \`vm up ${machine.name}\`.`,
      })
    }
    await requireProjectKey(project, [machine.name], services.home.dataDir)
    const target = sshTarget(project, status.domain, status.ip)
    const tty = command.length === 0 && Boolean(process.stdin.isTTY)
    const result = await services.runner.run('ssh', sshArgs(target, {command, tty, forwarding: {agent: flags['forward-agent'], x11: flags['forward-x11']}}), {stdio: 'inherit'})
    if (result.exitCode !== 0) this.exit(result.exitCode)
  }
}
