/**
 * Checkers for the scalar settings: each takes a value as written (or a built-in default
 * written the same way) and returns it converted, or complaints. Pure; no positions.
 */
import type {Accelerator} from './types.js'
import {accept, describeValue, reject, suggestion, type Checked} from './complaint.js'
import {formatSize, parseSize, sizeHint} from './size.js'

const MIN_CPUS = 1
const MAX_CPUS = 256 // QEMU's q35 machine type allows at most 288 vCPUs; 256 is a round limit below it.
const MIN_MEMORY = 128 * 1024 ** 2 // Below this, cloud images' kernels do not finish booting.
const MIN_DISK = 1024 ** 3 // Smaller than any distribution's cloud image.
const MAX_DISK = 64 * 1024 ** 4

const ACCELERATORS: readonly Accelerator[] = ['auto', 'kvm', 'tcg']

/** `cpus`: a whole number from 1 to 256. A quoted number ("2") is rejected with a hint. */
export function checkCpus(value: unknown): Checked<number> {
  if (typeof value === 'number' && Number.isInteger(value) && value >= MIN_CPUS && value <= MAX_CPUS) {
    return accept(value)
  }
  const quoted = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? '; write it without quotes' : ''
  return reject(`expected a whole number from ${MIN_CPUS} to ${MAX_CPUS}, found ${describeValue(value)}${quoted}`)
}

/** `memory`: a size (see size.ts) of at least 128MiB, in bytes. */
export function checkMemory(value: unknown): Checked<number> {
  return checkSize(value, {example: '768MiB or 2GiB', min: MIN_MEMORY})
}

/** `disk`: a size from 1GiB to 64TiB, in bytes. */
export function checkDisk(value: unknown): Checked<number> {
  return checkSize(value, {example: '10GiB or 1TiB', min: MIN_DISK, max: MAX_DISK})
}

/** `accelerator`: exactly auto, kvm or tcg (lower case, like the values libvirt uses). */
export function checkAccelerator(value: unknown): Checked<Accelerator> {
  const found = ACCELERATORS.find((accelerator) => accelerator === value)
  if (found) return accept(found)
  const hint = typeof value === 'string' ? suggestion(value, ACCELERATORS) : ''
  return reject(`expected auto, kvm or tcg, found ${describeValue(value)}${hint}`)
}

function checkSize(value: unknown, limits: {example: string; min: number; max?: number}): Checked<number> {
  const bytes = typeof value === 'string' ? parseSize(value) : undefined
  if (bytes === undefined) {
    const hint = sizeHint(value)
    return reject(`expected a size like ${limits.example}, found ${describeValue(value)}${hint ? `; ${hint}` : ''}`)
  }
  const {min, max} = limits
  if (bytes >= min && (max === undefined || bytes <= max)) return accept(bytes)
  const range = max === undefined ? `at least ${formatSize(min)}` : `from ${formatSize(min)} to ${formatSize(max)}`
  return reject(`expected ${range}, found ${describeValue(value)}`)
}
