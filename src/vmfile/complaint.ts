/**
 * The checkers' shared vocabulary. A Complaint is a Problem that does not know where it is
 * yet: checkers look at values only, and validate.ts turns complaints into located Problems
 * using where each value came from. That keeps the checkers free of YAML and positions.
 */
import type {YamlPath} from './locate.js'
import type {Severity} from './problem.js'
import {didYouMean} from './did-you-mean.js'

export type Complaint = {
  readonly severity: Severity
  /** `expected …, found …`, optionally followed by `; did you mean …?`. */
  readonly message: string
  /** Below the checked value, e.g. ["sha256"] inside a box map; [] for the value itself. */
  readonly path: YamlPath
  /** Point at the key rather than its value (unknown keys, bad names). */
  readonly on?: 'key' | 'value'
}

/** A checker's verdict: the converted value, present only when no complaint is an error. */
export type Checked<T> = {readonly value?: T; readonly complaints: readonly Complaint[]}

/** An error complaint about the checked value itself or about `path` below it. */
export function complain(message: string, path: YamlPath = [], on?: 'key' | 'value'): Complaint {
  return on === undefined ? {severity: 'error', message, path} : {severity: 'error', message, path, on}
}

/** A Checked without complaints. */
export function accept<T>(value: T): Checked<T> {
  return {value, complaints: []}
}

/** A Checked holding one error. */
export function reject<T>(message: string): Checked<T> {
  return {complaints: [complain(message)]}
}

/**
 * How a found value reads in a message: strings quoted as JSON (cut at 60 characters), numbers
 * and booleans as written, null as "nothing", collections as "a map" / "a list".
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  if (value instanceof Map) return value.size === 0 ? 'an empty map' : 'a map'
  if (Array.isArray(value)) return 'a list'
  return String(value)
}

/** "; did you mean X?" when there is a close candidate, else "". */
export function suggestion(word: string, candidates: readonly string[]): string {
  const match = didYouMean(word, candidates)
  return match === undefined ? '' : `; did you mean ${match}?`
}

/**
 * Warnings for keys of `map` that are not in `known`, at `path` (the map's own path). Unknown
 * keys are never errors, so that a Vmfile written for a newer vm still loads (as Lima does).
 */
export function unknownKeys(map: Map<unknown, unknown>, known: readonly string[], path: YamlPath): Complaint[] {
  const complaints: Complaint[] = []
  for (const key of map.keys()) {
    const name = String(key)
    if (known.includes(name)) continue
    const close = didYouMean(name, known)
    const hint = close === undefined ? `expected one of ${known.join(', ')}` : `did you mean ${close}?`
    complaints.push({severity: 'warning', message: `unknown key (ignored); ${hint}`, path: [...path, name], on: 'key'})
  }
  return complaints
}
