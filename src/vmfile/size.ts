/**
 * Sizes such as "768MiB" or "1.5GiB". Units are binary only (K and KiB both mean 1024):
 * decimal spellings like "GB" are rejected rather than silently read as GiB or as 10^9,
 * so nobody is surprised by the 7% between the two.
 */

const UNITS = {k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4} as const
type UnitLetter = keyof typeof UNITS

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])(ib)?\s*$/i
const DECIMAL_UNIT = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])(b|i)\s*$/i
const BARE_NUMBER = /^\s*\d+(?:\.\d+)?\s*$/

/**
 * Parses a size into bytes: a number, an optional space and a unit K/M/G/T or KiB/MiB/GiB/TiB
 * (any case). Fractions are allowed and rounded to a whole byte ("1.5GiB" → 1610612736).
 * Returns undefined for anything else, including a bare number, "GB" and sizes beyond
 * Number.MAX_SAFE_INTEGER. Does not check any minimum or maximum.
 */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text)
  if (!match) return undefined
  const bytes = Math.round(Number(match[1]) * UNITS[unitLetter(match[2])])
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/**
 * Formats bytes in the largest binary unit that holds them exactly: 1073741824 → "1GiB",
 * 805306368 → "768MiB", 1610612736 → "1536MiB". Sizes that are not whole KiB fall back to
 * "N bytes". The result of a whole-KiB size parses back to the same number.
 */
export function formatSize(bytes: number): string {
  for (const [letter, unit] of Object.entries(UNITS).reverse()) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${letter.toUpperCase()}iB`
  }
  return `${bytes} bytes`
}

/**
 * Why a value that parseSize rejected might have been meant as a size, as a short hint for
 * the message: a bare number needs a unit; "2GB" or "2Gi" probably meant "2GiB".
 * Returns undefined when there is nothing useful to say.
 */
export function sizeHint(value: unknown): string | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && BARE_NUMBER.test(value))) {
    return 'add a unit, e.g. 1024MiB'
  }
  if (typeof value !== 'string') return undefined
  const match = DECIMAL_UNIT.exec(value)
  if (!match) return undefined
  const suggestion = `${match[1]}${unitLetter(match[2]).toUpperCase()}iB`
  return match[3]?.toLowerCase() === 'b'
    ? `did you mean ${suggestion}? (sizes are binary: 1GiB = 1024MiB)`
    : `did you mean ${suggestion}?`
}

function unitLetter(text: string | undefined): UnitLetter {
  // The regular expressions only capture one of k, m, g, t (in either case) here.
  return (text ?? 'k').toLowerCase() as UnitLetter
}
