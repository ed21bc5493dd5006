import {parseXml, type XmlNode} from './xml.js'

/** What vm reads back from `virsh vol-dumpxml`. Pure. */
export type VolumeFacts = {
  /** Path of the backing file, for an overlay. */
  readonly backingPath?: string
  readonly capacity?: number
}

export function parseVolumeFacts(xml: string): VolumeFacts {
  const volume = (parseXml(xml).volume ?? {}) as XmlNode
  const backing = volume.backingStore as XmlNode | undefined
  const path = backing && typeof backing === 'object' ? backing.path : undefined
  const capacity = volume.capacity
  const capacityText = typeof capacity === 'object' && !Array.isArray(capacity) ? capacity['#text'] : capacity
  const bytes = Number(capacityText)
  return {
    ...(typeof path === 'string' && path !== '' ? {backingPath: path} : {}),
    ...(Number.isSafeInteger(bytes) ? {capacity: bytes} : {}),
  }
}
