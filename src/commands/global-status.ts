import {Flags} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {inspectAllMachines, type ManagedMachine} from '../machine/inspect-all.js'
import {describePruneTarget, inspectPrunable, prune, pruneScope, type PruneScope} from '../steps/prune.js'
import {confirmOrThrow} from '../ui/confirm.js'
import {formatTable} from '../ui/table.js'
import {withHostLock} from '../machine/host-lock.js'
import type {Services} from '../services.js'

export default class GlobalStatus extends VmCommand {
  static override summary = 'Show every machine vm manages on this libvirt host, across projects.'
  static override description = `Read live from libvirt: every domain that carries vm's ownership metadata, with its project folder, state and IP. Nothing is cached, so nothing goes stale; a machine whose project folder was deleted is still listed (marked "folder gone"). Works from any folder. --json prints a list of {name, project, state, ip, domain, projectExists, ownerUid} (ownerUid: who made it, absent for machines made before vm recorded it); state is libvirt's (running, shutoff, paused, ...) or "suspended".

--prune removes, after listing them and asking: the machines of project folders that are gone (domain and disk), volumes in vm's pool whose machine is gone (an \`up\` killed halfway), and private networks of projects that have no machines left. Boxes are left to \`vm box prune\`.

On qemu:///system, which every user of the machine shares, --prune takes only the machines and networks you made (vm records your uid in their metadata); a project folder you cannot read is another user's, never "gone". As root, --all-users takes everyone's.`
  static override examples = ['<%= config.bin %> global-status', '<%= config.bin %> global-status --json', '<%= config.bin %> global-status --prune']
  static override enableJsonFlag = true
  static override flags = {
    prune: Flags.boolean({summary: 'Remove machines of deleted project folders, leftover volumes and unused private networks.'}),
    force: Flags.boolean({char: 'f', summary: 'With --prune: do not ask for confirmation.'}),
    'all-users': Flags.boolean({summary: "With --prune, as root: also other users' machines and networks (and those made before vm recorded their user).", dependsOn: ['prune']}),
  }

  async run(): Promise<ManagedMachine[]> {
    const {flags} = await this.parse(GlobalStatus)
    const services = this.services(flags.verbose)
    const {virsh} = services
    await virsh.version()
    if (flags.prune) await this.prune(services, flags.force, pruneScope(virsh.uri, flags['all-users']))
    const machines = await inspectAllMachines(virsh)
    if (machines.length === 0) {
      this.log(`No machines made by vm on ${virsh.uri}.`)
      return machines
    }
    const rows = machines.map((m) => [m.name, m.state, m.ip ?? '-', m.projectExists ? m.project : `${m.project} (folder gone)`])
    for (const line of formatTable(['NAME', 'STATE', 'IP', 'PROJECT'], rows)) this.log(line)
    return machines
  }

  /** Lists what would go and asks, then removes what is still unused once no `up` is making machines. */
  private async prune(services: Services, force: boolean, scope: PruneScope): Promise<void> {
    const {targets: planned, leftToOthers} = await inspectPrunable(services, scope)
    if (leftToOthers > 0) {
      this.out.warn(`Left ${leftToOthers} machine${leftToOthers === 1 ? '' : 's'} of deleted folders that other users made (or that predate vm recording its user): \`sudo vm global-status --prune --all-users\` removes them.`)
    }
    if (planned.length === 0) {
      this.out.warn('Nothing to prune.')
      return
    }
    if (!force) {
      this.out.warn(['To remove:', ...planned.map((t) => `  ${describePruneTarget(t)}`)].join('\n'))
      await confirmOrThrow('Remove these?', {verb: 'prune', forced: 'vm global-status --prune --force', declined: 'Nothing removed.'})
    }
    const onWait = () => this.out.warn('Waiting for vm up in other projects to finish making machines...')
    await withHostLock(services.home, services.virsh.uri, {shared: false, signal: services.signal, onWait}, async () => {
      // Looked at again under the lock: an `up` may have taken a network or volume since.
      const agreed = new Set(planned.map(describePruneTarget))
      await prune(services, (await inspectPrunable(services, scope)).targets.filter((t) => agreed.has(describePruneTarget(t))))
    })
  }
}

