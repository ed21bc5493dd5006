import {Flags} from '@oclif/core'

import {VmCommand} from '../../base-command.js'
import {removeNamedBox} from '../../box/named-boxes.js'
import {formatBytes} from '../../box/progress.js'
import {discardPartial} from '../../box/download.js'
import {boxCacheRoot, listEntries, listPartFiles, lockPathForKey} from '../../box/store.js'
import {VmError} from '../../errors.js'
import {readInventory} from '../../steps/read-inventory.js'
import {removeBoxData} from '../../steps/remove-box.js'
import {isLockHeld} from '../../util/file-lock.js'

export type BoxPruneResult = {dryRun: boolean; boxes: {names: string[]; sha256: string | null; size: number | null}[]; volumes: string[]; partialDownloads: string[]; bytes: number}

export default class BoxPrune extends VmCommand {
  static override summary = 'Remove the boxes no machine uses, their pool volumes, and abandoned partial downloads.'
  static override description =
    'A box is in use while a machine\'s disk (an overlay volume in the pool) backs onto it; those are always kept. Added names whose box is removed go with it. --dry-run shows what would go.'
  static override examples = ['<%= config.bin %> box prune --dry-run', '<%= config.bin %> box prune']
  static override enableJsonFlag = true
  static override flags = {
    'dry-run': Flags.boolean({char: 'n', summary: 'Show what would be removed; remove nothing.'}),
  }

  async run(): Promise<BoxPruneResult> {
    const {flags} = await this.parse(BoxPrune)
    const dryRun = flags['dry-run']
    const services = this.services(flags.verbose)
    const {rows, libvirtReachable, backing} = await readInventory(services)
    if (!libvirtReachable || !backing) {
      throw new VmError('Cannot prune boxes without libvirt: it alone knows which machines use them.', {
        code: 'BOX_USAGE_UNKNOWN',
        hint: 'Start libvirtd, then run `vm box prune` again.',
      })
    }
    const verb = dryRun ? 'Would remove' : 'Removed'
    const result: BoxPruneResult = {dryRun, boxes: [], volumes: [], partialDownloads: [], bytes: 0}
    for (const row of rows.filter((r) => r.usedBy?.length === 0)) {
      if (row.entry && !dryRun) {
        const removed = await removeBoxData(services, row.entry)
        result.volumes.push(...removed.volumesDeleted)
      }
      if (!dryRun) for (const name of row.names) await removeNamedBox(services.home, name)
      result.boxes.push({names: [...row.names], sha256: row.sha256 ?? null, size: row.size ?? null})
      result.bytes += row.size ?? 0
      this.log(`${verb} box ${row.names.join(', ')}${row.size === undefined ? '' : ` (${formatBytes(row.size)})`}`)
    }
    // Base volumes in our pool that no cache entry and no overlay accounts for: left by a removal
    // with --force once their machines were destroyed, or by a cache that was deleted by hand.
    const known = new Set((await listEntries(boxCacheRoot(services.home))).map((entry) => `${entry.meta.sha256}.qcow2`))
    const {virsh, libvirt} = services
    // Removing base volumes changes no overlay, so the map read for the list still holds.
    for (const volume of (await virsh.poolInfo(libvirt.pool)) ? await virsh.listVolumes(libvirt.pool) : []) {
      if (!/^[0-9a-f]{64}\.qcow2$/.test(volume) || known.has(volume) || backing.has(volume)) continue
      if (result.volumes.includes(`${libvirt.pool}/${volume}`)) continue
      if (!dryRun) await virsh.deleteVolumeIfPresent(libvirt.pool, volume)
      result.volumes.push(`${libvirt.pool}/${volume}`)
      this.log(`${verb} orphaned base volume ${libvirt.pool}/${volume}`)
    }
    for (const part of await idlePartialDownloads(boxCacheRoot(services.home))) {
      if (!dryRun) await discardPartial(part.path)
      result.partialDownloads.push(part.path)
      result.bytes += part.size
      this.log(`${verb} partial download ${part.path} (${formatBytes(part.size)})`)
    }
    const total = result.boxes.length + result.volumes.length + result.partialDownloads.length
    this.log(total === 0 ? 'Nothing to prune: every box is in use.' : `${verb} ${formatBytes(result.bytes)} in all.`)
    return result
  }
}

/** Part files of downloads that no process is running now (their lock is free). */
async function idlePartialDownloads(root: string): Promise<{path: string; size: number}[]> {
  const parts = await listPartFiles(root)
  const idle = await Promise.all(parts.map(async (part) => !(await isLockHeld(lockPathForKey(root, part.key)))))
  return parts.filter((_, i) => idle[i])
}
