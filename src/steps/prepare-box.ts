import {VmError} from '../errors.js'
import {inspectImage} from '../disk/qemu-img.js'
import {baseVolumeName} from '../machine/names.js'
import type {Services} from '../services.js'
import {ensureBox, type CachedBox} from '../box/cache.js'
import {resolveBox} from '../box/catalog.js'
import {createProgressReporter} from '../box/progress.js'
import type {BoxSource} from '../vmfile/types.js'
import {runSteps} from './run-steps.js'

/** A box ready to back overlays: verified in the cache and present as a volume in the pool. */
export type PreparedBox = {
  readonly name: string
  readonly sha256: string
  readonly volume: string
  readonly virtualSize: number
  readonly osId?: string
}

/**
 * Downloads (or finds) the box, checks that it is a plain qcow2 (no backing or data file, which
 * could make QEMU read any file on the host), and imports it into the pool once per host.
 */
export async function prepareBox(services: Services, source: BoxSource, arch: string): Promise<PreparedBox> {
  const request = await resolveBox(source, arch)
  const cached = await ensureBox(request, {
    home: services.home,
    signal: services.signal,
    progress: createProgressReporter(process.stderr),
    log: (line) => services.out.info(line),
  })
  const info = await inspectImage(services.runner, cached.path)
  checkBoxImage(request.name, info)
  const volume = baseVolumeName(cached.sha256)
  const {virsh, libvirt} = services
  if (!(await virsh.volumeInfo(libvirt.pool, volume))) {
    services.out.info(`Importing box ${request.name} into libvirt pool ${libvirt.pool}`)
    await runSteps(
      [
        {
          title: `create volume ${volume}`,
          run: () => virsh.createVolume(libvirt.pool, volume, info.virtualSize, 'qcow2'),
          undo: () => virsh.deleteVolumeIfPresent(libvirt.pool, volume),
        },
        {title: `upload ${cached.path}`, run: () => virsh.uploadVolume(libvirt.pool, volume, cached.path)},
      ],
      {signal: services.signal, rollback: true},
    )
  }
  return {name: request.name, sha256: cached.sha256, volume, virtualSize: info.virtualSize, osId: request.osId}
}

function checkBoxImage(name: string, info: {format: string; backingFile?: string; dataFile?: string}): void {
  const problem =
    info.format !== 'qcow2'
      ? `it is ${info.format}, not qcow2`
      : info.backingFile
        ? `it has a backing file (${info.backingFile})`
        : info.dataFile
          ? `it has an external data file (${info.dataFile})`
          : undefined
  if (problem) {
    throw new VmError(`Box ${name} cannot be used: ${problem}.`, {
      code: 'BOX_IMAGE_REJECTED',
      hint: 'Use a self-contained qcow2 cloud image.',
    })
  }
}

export type {CachedBox}
