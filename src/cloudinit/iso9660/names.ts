/**
 * Names on the volume: checking the names we are given, deriving the level 1 (8.3) identifiers
 * from them, the orders the primary and Joliet directories sort them in, and Joliet's UCS-2 form.
 */
import {dataView} from './bytes.js'

/** Joliet allows 64 UCS-2 characters (128 bytes) in a file identifier. */
const MAX_NAME_LENGTH = 64
/** 8.4.6: the volume identifier field holds 32 d-characters. */
const MAX_VOLUME_ID_LENGTH = 32
/** Level 1 (10.1): at most eight d-characters before the dot and three after it. */
const LEVEL1_STEM_LENGTH = 8
const LEVEL1_EXTENSION_LENGTH = 3

/** Throws unless the volume id fits the primary descriptor's 32 d-characters. */
export function checkVolumeId(volumeId: string): void {
  if (volumeId.length === 0) throw new Error('The ISO volume id is empty.')
  if (volumeId.length > MAX_VOLUME_ID_LENGTH) {
    throw new Error(`The ISO volume id "${volumeId}" is longer than ${MAX_VOLUME_ID_LENGTH} characters.`)
  }
  // 7.4.1: d-characters are A-Z, 0-9 and _. Like genisoimage -volid we keep the case as given, so
  // blkid reports LABEL=cidata for "cidata" (readers accept lower case there; NoCloud matches
  // the label in either case).
  if (!/^[A-Za-z0-9_]+$/.test(volumeId)) {
    throw new Error(`The ISO volume id "${volumeId}" may only hold letters A-Z, digits and "_" (ISO 9660 d-characters).`)
  }
}

/** Throws unless Rock Ridge and Joliet can both record `name` unchanged as a file in the root folder. */
export function checkFileName(name: string): void {
  if (name.length === 0) throw new Error('An ISO file name is empty.')
  if (name.includes('/')) throw new Error(`The ISO file name "${name}" contains "/"; only files in the root folder are supported.`)
  if (name.includes('\0')) throw new Error(`The ISO file name ${JSON.stringify(name)} contains a NUL character.`)
  if (name === '.' || name === '..') throw new Error(`"${name}" cannot be an ISO file name.`)
  if (name.length > MAX_NAME_LENGTH) {
    throw new Error(`The ISO file name "${name}" is longer than ${MAX_NAME_LENGTH} characters (the Joliet limit).`)
  }
  // Joliet forbids control characters and * / : ; ? \ in names; rather than record a different
  // name there than in Rock Ridge, refuse them.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f*:;?\\]/.test(name)) {
    throw new Error(`The ISO file name ${JSON.stringify(name)} holds a character Joliet forbids (control characters and * : ; ? \\).`)
  }
  // A lone surrogate has no UTF-8 form, so Rock Ridge could not record it.
  if (/\p{Surrogate}/u.test(name)) throw new Error(`The ISO file name ${JSON.stringify(name)} is not valid Unicode.`)
}

/**
 * Maps each name to a unique level 1 identifier (10.1, 7.5): at most 8 d-characters, a dot, at
 * most 3 d-characters, and version `;1`. Anything else becomes `_`; clashes get a numeric tail
 * (USER_DAT, USER_DA1, ...). Names are handled in sorted order so that the result does not depend
 * on the order the caller lists the files in.
 */
export function level1Identifiers(names: readonly string[]): Map<string, string> {
  const result = new Map<string, string>()
  const taken = new Set<string>()
  for (const name of [...names].sort(compareCodeUnits)) {
    const dot = name.lastIndexOf('.')
    let stem = toDCharacters(dot >= 0 ? name.slice(0, dot) : name).slice(0, LEVEL1_STEM_LENGTH)
    const extension = dot >= 0 ? toDCharacters(name.slice(dot + 1)).slice(0, LEVEL1_EXTENSION_LENGTH) : ''
    // 7.5.1: the name and the extension cannot both be empty.
    if (stem === '' && extension === '') stem = '_'
    let candidate = stem
    for (let n = 1; taken.has(`${candidate}.${extension}`); n++) {
      const tail = String(n)
      candidate = stem.slice(0, LEVEL1_STEM_LENGTH - tail.length) + tail
    }
    taken.add(`${candidate}.${extension}`)
    result.set(name, `${candidate}.${extension};1`)
  }
  return result
}

/** 7.4.1: letters upper-cased, digits and `_` kept, anything else `_`. */
function toDCharacters(text: string): string {
  return [...text].map((ch) => (/^[A-Za-z0-9_]$/.test(ch) ? ch.toUpperCase() : '_')).join('')
}

/** 9.3: records are ordered by name, then extension, each padded with spaces, then by version. */
export function compareLevel1(a: string, b: string): number {
  const [aName = '', aExtension = ''] = a.replace(/;1$/, '').split('.')
  const [bName = '', bExtension = ''] = b.replace(/;1$/, '').split('.')
  return (
    compareCodeUnits(aName.padEnd(LEVEL1_STEM_LENGTH), bName.padEnd(LEVEL1_STEM_LENGTH)) ||
    compareCodeUnits(aExtension.padEnd(LEVEL1_EXTENSION_LENGTH), bExtension.padEnd(LEVEL1_EXTENSION_LENGTH))
  )
}

/** Joliet names sort by their UCS-2 code units, which is JavaScript's own string order. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Joliet identifiers: each UTF-16 code unit big-endian. */
export function ucs2(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2)
  const view = dataView(bytes)
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), false)
  return bytes
}
