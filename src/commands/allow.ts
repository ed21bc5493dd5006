import {Flags} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {removeAllowRecord} from '../consent/allow-store.js'
import {allowProject} from '../consent/gate.js'
import {renderReachItem} from '../consent/reach.js'
import {VmError} from '../errors.js'
import {resolveVmHome} from '../home.js'
import {projectKey} from '../machine/project.js'
import {checkStateDir} from '../machine/state-dir.js'
import {adoptKey} from '../ssh/keys.js'

export default class Allow extends VmCommand {
  static override summary = 'Allow what this Vmfile reaches beyond its project (as `direnv allow` does), after listing it.'
  static override description = `A Vmfile is data from whoever wrote it. By default vm keeps it inside its project: host paths must lead inside the project folder, no ansible runs on the host, ports open on 127.0.0.1 only, and the machines use libvirt's default network and no host bridge. What the Vmfile asks for beyond that is listed here and by \`vm validate\`, and this command allows it for the Vmfile as it is now. The consent is kept in your own data folder, keyed by the project's path and a digest of the Vmfile and every file it names; when any of them changes, vm asks again. --allow on a command allows for that command only.`
  static override examples = ['<%= config.bin %> allow', '<%= config.bin %> allow --revoke', '<%= config.bin %> allow --key']
  static override flags = {
    revoke: Flags.boolean({summary: 'Take back the consent given for this project.', exclusive: ['key']}),
    key: Flags.boolean({
      summary: "Adopt the key in .vm/ as one vm made (for projects whose machines were made by a vm that did not record its keys). Never for a .vm/ that came with a repository: its author has the key.",
      exclusive: ['revoke'],
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Allow)
    const project = await this.loadProject()
    const {dataDir} = resolveVmHome()
    if (flags.revoke) {
      const removed = await removeAllowRecord(dataDir, project.dir)
      this.log(removed ? `Consent taken back for ${project.dir}.` : `Nothing was allowed for ${project.dir}.`)
      return
    }
    if (flags.key) {
      await checkStateDir(project.paths)
      if (!(await adoptKey(projectKey(project, dataDir)))) {
        throw new VmError(`There is no key at ${project.paths.privateKey} to adopt.`, {code: 'PROJECT_KEY_MISSING', exitCode: 2, hint: '`vm up` makes one.'})
      }
      this.log(`Adopted ${project.paths.privateKey} as this project's key.`)
      return
    }
    const items = await allowProject(project, dataDir)
    if (items.length === 0) {
      this.log(`${project.vmfile.path} reaches nothing beyond its project; nothing needs allowing (recorded anyway).`)
      return
    }
    this.log(`Allowed for ${project.vmfile.path} as it is now:`)
    for (const item of items) this.log(`  - ${renderReachItem(item)}`)
    this.log('vm asks again when the Vmfile or a file it names changes; `vm allow --revoke` takes this back.')
  }
}
