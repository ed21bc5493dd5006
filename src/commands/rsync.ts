import {Args} from '@oclif/core'

import {allowFlags, VmCommand} from '../base-command.js'
import {syncFolders} from '../steps/after-boot.js'
import {reachableWithRsyncFolders} from '../steps/running-machines.js'
import {settleAll} from '../steps/settle.js'
import {machineOutput} from '../ui/output.js'

export default class Rsync extends VmCommand {
  static override summary = "Copy the machines' rsync folders into them again."
  static override description = `Each folder of type rsync (the default) is copied from the host into the machine, so that the machine's folder ends up exactly like the host's (files deleted on the host are deleted in the machine), minus the folder's exclude patterns and .vm/. It works on any guest with tar: no rsync is needed in the machine, and no network beyond SSH. \`vm up\` does the same; \`vm rsync-auto\` keeps doing it as files change.`
  static override examples = ['<%= config.bin %> rsync', '<%= config.bin %> rsync web']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to sync (default: all with rsync folders).'})}
  static override flags = {...allowFlags}

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Rsync)
    const project = await this.loadProject()
    await this.requireConsent(project, flags.allow)
    const services = this.services(flags.verbose)
    const running = await reachableWithRsyncFolders(services, project, argv as string[])
    if (running.length === 0) return
    await settleAll(
      running.map((r) => ({name: r.machine.name, ...r})),
      (r) => syncFolders(services, project, r.machine, r.target, machineOutput(services.out, r.machine.name)),
      'sync',
    )
  }
}
