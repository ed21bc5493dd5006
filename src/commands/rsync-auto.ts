import {Args, Flags} from '@oclif/core'

import {allowFlags, VmCommand} from '../base-command.js'
import {syncChanges} from '../folders/sync-changes.js'
import {watchFolders} from '../folders/watch-folder.js'
import {describeFolder} from '../steps/after-boot.js'
import {reachableWithRsyncFolders, type ReachableMachine} from '../steps/running-machines.js'
import type {Project} from '../machine/project.js'
import type {Services} from '../services.js'
import {formatSeconds, machineOutput} from '../ui/output.js'
import type {SyncedFolder} from '../vmfile/types.js'

export default class RsyncAuto extends VmCommand {
  static override summary = 'Watch the rsync folders and copy changes into the machines as they happen.'
  static override description = `Copies each rsync folder once, then watches it on the host (inotify) and sends only what changed: new and modified files, and deletions, a few hundred milliseconds after the changes settle. Stop it with Ctrl-C. A batch that fails (the machine went away, say) is reported and the next change sends the whole folder again.`
  static override examples = ['<%= config.bin %> rsync-auto', '<%= config.bin %> rsync-auto web']
  static override strict = false
  static override args = {machine: Args.string({description: 'Machines to follow (default: all with rsync folders).'})}
  static override flags = {
    ...allowFlags,
    'debounce-ms': Flags.integer({summary: 'Quiet time before changes are sent, in milliseconds.', default: 300, min: 0}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(RsyncAuto)
    const project = await this.loadProject()
    await this.requireConsent(project, flags.allow)
    const services = this.services(flags.verbose)
    const running = await reachableWithRsyncFolders(services, project, argv as string[])
    if (running.length === 0) return
    let ready = 0
    await Promise.all(
      running.map(async (r) => {
        // Resolved once, where they lead now; the watch follows those real folders.
        const folders: SyncedFolder[] = []
        for (const f of r.machine.folders) if (f.type === 'rsync') folders.push({...f, hostPath: await project.grant.hostPath(f.hostPath, 'synced folder')})
        return watchFolders(folders, (folder, batch) => this.send(services, project, r, folder, batch), {
          signal: services.signal,
          debounceMs: flags['debounce-ms'],
          initialSync: true,
          onReady: () => {
            for (const folder of folders) machineOutput(this.out, r.machine.name).info(`watching ${describeFolder(project, folder)}`)
            if (++ready === running.length) this.log('Watching for changes; Ctrl-C stops.')
          },
        })
      }),
    )
  }

  /** One batch; a failure is reported, not fatal, and the next batch is a full copy. */
  private needsFull = new Set<SyncedFolder>()
  private async send(services: Services, project: Project, r: ReachableMachine, folder: SyncedFolder, batch: {changed: readonly string[]; removed: readonly string[]}): Promise<void> {
    const out = machineOutput(this.out, r.machine.name)
    const started = Date.now()
    const full = this.needsFull.has(folder)
    try {
      const summary = await syncChanges({
        runner: services.runner,
        target: r.target,
        folder,
        tmpDir: project.paths.tmpDir,
        signal: services.signal,
        changed: full ? [''] : batch.changed,
        removed: full ? [] : batch.removed,
      })
      this.needsFull.delete(folder)
      const what = summary.full ? `copied ${summary.files} files` : `sent ${summary.files} changed, removed ${summary.removed}`
      out.info(`${describeFolder(project, folder)}: ${what} (${formatSeconds(Date.now() - started)})`)
    } catch (error) {
      if (services.signal.aborted) return
      this.needsFull.add(folder)
      out.warn(`${describeFolder(project, folder)}: sync failed, the next change sends the whole folder: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
