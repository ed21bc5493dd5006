/** Numbers and strings as ECMA-119 records them: single- and both-endian integers, ASCII bytes. */

/** A DataView over exactly the bytes of `bytes` (which may be a view into a larger buffer). */
export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** 7.2.3: a 16-bit number recorded little-endian, then big-endian. */
export function putBoth16(bytes: Uint8Array, offset: number, value: number): void {
  const view = dataView(bytes)
  view.setUint16(offset, value, true)
  view.setUint16(offset + 2, value, false)
}

/** 7.3.3: a 32-bit number recorded little-endian, then big-endian. */
export function putBoth32(bytes: Uint8Array, offset: number, value: number): void {
  const view = dataView(bytes)
  view.setUint32(offset, value, true)
  view.setUint32(offset + 4, value, false)
}

/** 7.3.1: a 32-bit number recorded little-endian only. */
export function putLsb32(bytes: Uint8Array, offset: number, value: number): void {
  dataView(bytes).setUint32(offset, value, true)
}

/** 7.3.2: a 32-bit number recorded big-endian only. */
export function putMsb32(bytes: Uint8Array, offset: number, value: number): void {
  dataView(bytes).setUint32(offset, value, false)
}

/** One byte per character; callers pass only ASCII text. */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0))
}

/** The parts one after another in a new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
