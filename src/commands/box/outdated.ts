import {VmCommand} from '../../base-command.js'
import {hostArch, loadCatalog} from '../../box/catalog.js'
import {listNamedBoxes} from '../../box/named-boxes.js'
import {checkOutdated, type OutdatedRow} from '../../box/outdated.js'
import {boxCacheRoot, listEntries} from '../../box/store.js'
import {formatTable} from '../../ui/table.js'

export default class BoxOutdated extends VmCommand {
  static override summary = "Tell whether each cached box is still the image its publisher lists today."
  static override description =
    "Reads the distribution's checksum file for every cached catalog box (and every box added with --checksum-url) and compares it with the cached image. Downloads no image: `vm up` fetches the new one for machines created after it, and machines that exist keep their box."
  static override examples = ['<%= config.bin %> box outdated', '<%= config.bin %> box outdated --json']
  static override enableJsonFlag = true

  async run(): Promise<OutdatedRow[]> {
    const {flags} = await this.parse(BoxOutdated)
    const services = this.services(flags.verbose)
    const root = boxCacheRoot(services.home)
    const [catalog, named, entries] = await Promise.all([loadCatalog(), listNamedBoxes(services.home), listEntries(root)])
    const rows = await checkOutdated(catalog, named, entries, hostArch(), {root, signal: services.signal, log: (line) => services.out.warn(line), runner: services.runner})
    if (rows.length === 0) {
      this.log('No cached box has a publisher to compare with.')
      return rows
    }
    const lines = formatTable(
      ['NAME', 'CACHED', 'FETCHED', 'STATUS'],
      rows.map((r) => [r.name, r.cachedSha256.slice(0, 12), r.cachedAt.slice(0, 10), r.reason ? `${r.status}: ${r.reason}` : r.status]),
    )
    for (const line of lines) this.log(line)
    return rows
  }
}
