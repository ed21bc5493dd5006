import {createProgressReporter} from '../box/progress.js'
import {provideBox, type ProvideBoxOptions} from '../box/provide.js'
import {resolveBoxRequest} from '../box/resolve-request.js'
import type {Services} from '../services.js'
import type {BoxSource} from '../vmfile/types.js'

/** A box ready to back overlays: verified, unpacked to a checked qcow2, and a volume of the pool. */
export type PreparedBox = {
  readonly name: string
  readonly sha256: string
  readonly volume: string
  readonly virtualSize: number
  readonly osId?: string
  /** The x86-64 level the box needs, from the catalog (see DomainSpec). */
  readonly x86_64Level?: number
}

/** What provideBox needs, from the command's services; progress goes to stderr, notes to the output. */
export function provideOptions(services: Services, extra: {readonly insecure?: boolean} = {}): ProvideBoxOptions {
  return {
    home: services.home,
    runner: services.runner,
    virsh: services.virsh,
    libvirt: services.libvirt,
    signal: services.signal,
    progress: createProgressReporter(process.stderr),
    log: (line) => services.out.info(line),
    ...extra,
  }
}

/**
 * Resolves the Vmfile's box (an added box, the catalog, or a URL) and provides it in the pool.
 * `insecure` (`vm up --insecure`) accepts an image and checksum file that both come over plain http.
 */
export async function prepareBox(services: Services, source: BoxSource, arch: string, extra: {readonly insecure?: boolean} = {}): Promise<PreparedBox> {
  const request = await resolveBoxRequest(source, arch, services.home)
  const provided = await provideBox(request, provideOptions(services, extra))
  return {
    name: request.name,
    sha256: provided.entry.meta.sha256,
    volume: provided.volume,
    virtualSize: provided.virtualSize,
    osId: request.osId,
    ...(request.x86_64Level ? {x86_64Level: request.x86_64Level} : {}),
  }
}
