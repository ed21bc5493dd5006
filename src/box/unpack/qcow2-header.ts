/**
 * Reads the few qcow2 header fields that decide whether an image may become a box, before any QEMU
 * tool opens it: opening an image with a backing or external data file makes QEMU open that other
 * file too (any path on the host, a device, a URL), so such an image is refused on its header alone.
 * Layout: QEMU's docs/interop/qcow2.txt. Pure.
 */

export type Qcow2Header = {
  readonly version: number
  readonly virtualSize: number
  /** The backing file's name, "" when the header points at one with an empty name. */
  readonly backingFile?: string
  /** The external data file's name ("" when the feature bit is set without a name extension). */
  readonly dataFile?: string
  readonly encrypted: boolean
  readonly corrupt: boolean
  /** Incompatible feature bits this code does not know (QEMU 7.2 would refuse them too). */
  readonly unknownFeatures: readonly number[]
}

const INCOMPATIBLE = {dirty: 0, corrupt: 1, externalDataFile: 2, compressionType: 3, extendedL2: 4} as const
const KNOWN_INCOMPATIBLE = new Set<number>(Object.values(INCOMPATIBLE))
const EXTENSION_END = 0
const EXTENSION_DATA_FILE = 0x44415441

/** HEAD holds the file's first bytes (sniff's 4 KiB hold the header and its extensions). */
export function parseQcow2Header(head: Buffer): Qcow2Header {
  if (head.length < 72 || head.readUInt32BE(0) !== 0x514649fb) throw new Error('not a qcow2 header')
  const version = head.readUInt32BE(4)
  const backingOffset = Number(head.readBigUInt64BE(8))
  const backingSize = head.readUInt32BE(16)
  const virtualSize = Number(head.readBigUInt64BE(24))
  const encrypted = head.readUInt32BE(32) !== 0
  let features = 0n
  let headerLength = 72
  if (version >= 3) {
    if (head.length < 104) throw new Error('qcow2 version 3 header is cut short')
    features = head.readBigUInt64BE(72)
    headerLength = head.readUInt32BE(100)
  }
  const bit = (n: number) => (features & (1n << BigInt(n))) !== 0n
  const unknownFeatures: number[] = []
  for (let n = 0; n < 64; n++) if (bit(n) && !KNOWN_INCOMPATIBLE.has(n)) unknownFeatures.push(n)

  const extensions = readExtensions(head, headerLength)
  const dataFileName = extensions.get(EXTENSION_DATA_FILE)
  const hasDataFile = bit(INCOMPATIBLE.externalDataFile) || dataFileName !== undefined
  const backingFile =
    backingOffset === 0
      ? undefined
      : head.length >= backingOffset + backingSize
        ? head.subarray(backingOffset, backingOffset + backingSize).toString('utf8')
        : `(a name stored at byte ${backingOffset})`
  return {
    version,
    virtualSize,
    ...(backingFile === undefined ? {} : {backingFile}),
    ...(hasDataFile ? {dataFile: dataFileName?.toString('utf8') ?? ''} : {}),
    encrypted,
    corrupt: bit(INCOMPATIBLE.corrupt),
    unknownFeatures,
  }
}

/** Header extensions: type, length, data padded to 8 bytes, until type 0 or the buffer ends. */
function readExtensions(head: Buffer, start: number): Map<number, Buffer> {
  const found = new Map<number, Buffer>()
  let offset = start
  while (offset + 8 <= head.length) {
    const type = head.readUInt32BE(offset)
    const length = head.readUInt32BE(offset + 4)
    if (type === EXTENSION_END) break
    found.set(type, head.subarray(offset + 8, Math.min(head.length, offset + 8 + length)))
    offset += 8 + Math.ceil(length / 8) * 8
  }
  return found
}
