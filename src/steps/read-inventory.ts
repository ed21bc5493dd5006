import {joinInventory, type BoxRow} from '../box/inventory.js'
import {listNamedBoxes} from '../box/named-boxes.js'
import {backingMap} from '../box/pool-import.js'
import {boxCacheRoot, listEntries} from '../box/store.js'
import {VmError} from '../errors.js'
import type {Services} from '../services.js'

/**
 * Reads the three sources of `vm box list` (cache, added names, the pool's overlays). Without
 * libvirt the list still shows the cache, and says that it could not tell which machines use what.
 */
export async function readInventory(services: Services): Promise<{rows: BoxRow[]; libvirtReachable: boolean; backing?: Map<string, string[]>}> {
  const [entries, named] = await Promise.all([listEntries(boxCacheRoot(services.home)), listNamedBoxes(services.home)])
  let backing: Map<string, string[]> | undefined
  try {
    backing = await backingMap(services.virsh, services.libvirt.pool)
  } catch (error) {
    if (!(error instanceof VmError) || !/^LIBVIRT_/.test(error.code)) throw error
    services.out.warn(`Warning: ${error.message} Which machines use each box is not shown.`)
  }
  return {rows: joinInventory(entries, named, backing), libvirtReachable: backing !== undefined, backing}
}
