import {renderMetaData, type MetaDataSpec} from './meta-data.js'
import {renderUserData, type UserDataSpec} from './user-data.js'
import {renderIso9660} from './iso9660.js'

export type SeedSpec = UserDataSpec &
  MetaDataSpec & {
    /** A network-config (v2) document, only when the default (DHCP on the first NIC) is not enough. */
    readonly networkConfig?: string
  }

/** The NoCloud seed's files, by name. Pure; writing the ISO is renderSeedIso's job. */
export function renderSeedFiles(spec: SeedSpec): Map<string, string> {
  const files = new Map<string, string>([
    ['meta-data', renderMetaData(spec)],
    ['user-data', renderUserData(spec)],
  ])
  if (spec.networkConfig !== undefined) files.set('network-config', spec.networkConfig)
  return files
}

/**
 * The seed ISO's bytes: volume label `cidata`, which NoCloud looks for. `modified` is passed in so
 * the same machine always gets the same image.
 */
export function renderSeedIso(spec: SeedSpec, modified: Date): Uint8Array {
  const files = [...renderSeedFiles(spec)].map(([name, data]) => ({name, data}))
  return renderIso9660({volumeId: 'cidata', files, modified})
}
