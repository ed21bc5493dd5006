/** The two date forms of ECMA-119, and the range of dates they can hold. */
import {ascii, concat} from './bytes.js'

/** Throws unless `date` is a valid date that a 9.1.5 recording date can hold. */
export function checkDate(date: Date): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new Error('The ISO modification time is not a valid date.')
  }
  // 9.1.5 records the year as years since 1900 in one byte.
  const year = date.getUTCFullYear()
  if (year < 1900 || year > 2155) {
    throw new Error(`The ISO modification time ${date.toISOString()} is outside the years 1900-2155 that ISO 9660 can record.`)
  }
}

/** 9.1.5: years since 1900, month, day, hour, minute, second, GMT offset in 15-minute units (UTC: 0). */
export function recordingDate(date: Date): Uint8Array {
  return Uint8Array.of(
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0,
  )
}

/** 8.4.26.1: "YYYYMMDDHHMMSScc" as digits plus the GMT offset byte; all zeros means "not specified". */
export function volumeDate(date: Date | undefined): Uint8Array {
  const two = (n: number) => String(n).padStart(2, '0')
  const digits = date
    ? String(date.getUTCFullYear()).padStart(4, '0') +
      two(date.getUTCMonth() + 1) +
      two(date.getUTCDate()) +
      two(date.getUTCHours()) +
      two(date.getUTCMinutes()) +
      two(date.getUTCSeconds()) +
      two(Math.floor(date.getUTCMilliseconds() / 10))
    : '0'.repeat(16)
  return concat([ascii(digits), Uint8Array.of(0)])
}
