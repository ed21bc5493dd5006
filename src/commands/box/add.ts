import {Args, Flags} from '@oclif/core'

import {VmCommand} from '../../base-command.js'
import {checkBoxName, readNamedBox, writeNamedBox, type NamedBox} from '../../box/named-boxes.js'
import {addBoxRequest} from '../../box/add-request.js'
import {refuseUnverified} from '../../box/cache.js'
import {formatBytes} from '../../box/progress.js'
import {provideBox} from '../../box/provide.js'
import {judgeTransport} from '../../box/transport-policy.js'
import {VmError} from '../../errors.js'
import {ensurePool} from '../../machine/host.js'
import {provideOptions} from '../../steps/prepare-box.js'

export type BoxAddResult = {name: string; sha256: string; size: number; format: string | null; source: string; volume: string; fromCache: boolean}

export default class BoxAdd extends VmCommand {
  static override summary = 'Add a box under a name of your choice, from a URL or a local file.'
  static override description = [
    'Fetches SOURCE (http(s), file:// or a path) and verifies it, unpacks it into one qcow2 (qcow2, raw/.img, compressed with xz, gzip or zstd, a tarball holding a disk, or a Vagrant libvirt .box), checks that it is a self-contained image, and imports it into the libvirt pool.',
    'A Vmfile can then say `box: NAME`; an added name is found before the catalog. The name is pinned to the sha256 of what was added.',
    'A remote SOURCE needs --sha256 or --checksum-url; --insecure accepts it unverified. A SOURCE and a --checksum-url both on plain http (not on this host) are refused too, since anyone on the way could change both: use https or --sha256, or --insecure.',
  ].join('\n\n')
  static override examples = [
    '<%= config.bin %> box add mybox ./output/mybox.box',
    '<%= config.bin %> box add deb12 https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2 --checksum-url https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS',
  ]
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({required: true, description: 'The name to add it under (lower-case letters, digits, ".", "_", "-").'}),
    source: Args.string({required: true, description: 'URL or path of the image, archive or .box.'}),
  }
  static override flags = {
    sha256: Flags.string({summary: 'The sha256 of SOURCE, as published.', exclusive: ['checksum-url']}),
    'checksum-url': Flags.string({summary: "URL (or path) of the distribution's checksum file that lists SOURCE.", exclusive: ['sha256']}),
    insecure: Flags.boolean({summary: 'Accept a remote SOURCE without any checksum, or with SOURCE and its checksum file both on plain http.'}),
    force: Flags.boolean({char: 'f', summary: 'Replace a box already added under NAME.'}),
  }

  async run(): Promise<BoxAddResult> {
    const {args, flags} = await this.parse(BoxAdd)
    checkBoxName(args.name)
    const services = this.services(flags.verbose)
    const existing = await readNamedBox(services.home, args.name)
    if (existing && !flags.force) {
      throw new VmError(`A box named ${args.name} was already added (from ${existing.source}).`, {
        code: 'BOX_NAME_TAKEN',
        exitCode: 2,
        hint: `Pick another name, or replace it with \`vm box add --force ${args.name} ...\`.`,
      })
    }
    const request = addBoxRequest(args.name, args.source, {sha256: flags.sha256, checksumUrl: flags['checksum-url']}, process.cwd())
    // Before libvirt is touched: bad input makes nothing. (With --insecure, ensureBox warns.)
    refuseUnverified(request, flags.insecure)
    const transport = judgeTransport(request, flags.insecure)
    if (transport.action === 'refuse') throw transport.error
    await ensurePool(services.virsh, services.libvirt)
    const provided = await provideBox(request, provideOptions(services, {insecure: flags.insecure}))
    const {meta} = provided.entry
    const record: NamedBox = {
      name: args.name,
      source: request.url,
      sha256: meta.sha256,
      verifiedBy: flags.sha256 ? 'sha256' : flags['checksum-url'] ? 'checksum-url' : /^https?:/.test(request.url) ? 'insecure' : 'local-file',
      ...(request.checksum && 'checksumUrl' in request.checksum ? {checksumUrl: request.checksum.checksumUrl} : {}),
      addedAt: new Date().toISOString(),
    }
    await writeNamedBox(services.home, record)
    const size = meta.imageSize ?? meta.size
    this.log(`Added box ${args.name}: sha256 ${meta.sha256.slice(0, 12)}, ${formatBytes(size)} qcow2${meta.format && meta.format !== 'qcow2' ? ` (from ${meta.format})` : ''}, volume ${provided.volume} in pool ${services.libvirt.pool}.`)
    this.log(`Use it with \`box: ${args.name}\` in a Vmfile.`)
    return {name: args.name, sha256: meta.sha256, size, format: meta.format ?? null, source: request.url, volume: provided.volume, fromCache: provided.fromCache}
  }
}
