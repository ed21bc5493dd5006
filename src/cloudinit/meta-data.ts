import {stringify} from 'yaml'

export type MetaDataSpec = {
  /** Stable for the machine's life: a new id makes cloud-init run its first-boot modules again. */
  readonly instanceId: string
  readonly hostname: string
}

/** Renders NoCloud meta-data. */
export function renderMetaData(spec: MetaDataSpec): string {
  // YAML 1.1, as cloud-init reads it: a hostname like `on` must stay a string.
  return stringify({'instance-id': spec.instanceId, 'local-hostname': spec.hostname}, {version: '1.1'})
}
