import {Flags} from '@oclif/core'

import {VmCommand} from '../../base-command.js'
import {hostArch, loadCatalog} from '../../box/catalog.js'
import {catalogJson, catalogTable} from '../../box/catalog-listing.js'
import type {BoxRow} from '../../box/inventory.js'
import {formatBytes} from '../../box/progress.js'
import {readInventory} from '../../steps/read-inventory.js'
import {formatTable} from '../../ui/table.js'

export type BoxListEntry = {
  names: string[]
  source: string
  sha256: string | null
  size: number | null
  format: string | null
  added: string | null
  lastUsed: string | null
  storedIn: string[]
  usedBy: string[] | null
}

export default class BoxList extends VmCommand {
  static override summary = 'List the boxes on this host, or with --available the catalog of known boxes.'
  static override description =
    'Shows every box in the cache: its names, where it came from, its sha256, its size on this host, when it was added and last used, and which machines (libvirt domains) have disks backed by it.'
  static override examples = ['<%= config.bin %> box list', '<%= config.bin %> box list --available', '<%= config.bin %> box list --json']
  static override enableJsonFlag = true
  static override flags = {
    available: Flags.boolean({summary: 'List the catalog: the boxes vm knows how to fetch, and their short aliases.'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(BoxList)
    if (flags.available) {
      const entries = await loadCatalog()
      for (const line of catalogTable(entries, hostArch())) this.log(line)
      return catalogJson(entries)
    }
    const {rows} = await readInventory(this.services(flags.verbose))
    if (rows.length === 0) this.log('No boxes yet. `vm up` fetches the Vmfile\'s box; `vm box list --available` shows the catalog.')
    else for (const line of renderRows(rows)) this.log(line)
    return rows.map(toJson)
  }
}

function renderRows(rows: readonly BoxRow[]): string[] {
  return formatTable(
    ['NAME', 'SHA256', 'SIZE', 'ADDED', 'LAST USED', 'USED BY', 'SOURCE'],
    rows.map((row) => [
      row.names.join(', '),
      row.sha256 ? row.sha256.slice(0, 12) : '-',
      row.size === undefined ? 'not cached' : formatBytes(row.size),
      row.addedAt?.slice(0, 10) ?? '-',
      row.lastUsedAt?.slice(0, 10) ?? '-',
      row.usedBy === undefined ? '?' : row.usedBy.length === 0 ? '-' : row.usedBy.join(', '),
      row.source,
    ]),
  )
}

function toJson(row: BoxRow): BoxListEntry {
  return {
    names: [...row.names],
    source: row.source,
    sha256: row.sha256 ?? null,
    size: row.size ?? null,
    format: row.format ?? null,
    added: row.addedAt ?? null,
    lastUsed: row.lastUsedAt ?? null,
    storedIn: [...row.storedIn],
    usedBy: row.usedBy ? [...row.usedBy] : null,
  }
}
