/**
 * The HTTP pieces of a resumed download (RFC 9110 §13-14): which validator to send in If-Range,
 * and what a Content-Range header says. Pure.
 */

/** What identifies one version of the file on the server: sent back in If-Range. */
export type Validator = {readonly etag: string} | {readonly lastModified: string}

type Headers = Readonly<Record<string, string | string[] | undefined>>

/**
 * The strong ETag, else Last-Modified. A weak ETag (W/"...") may not be used in If-Range: it only
 * promises "equivalent" content, not the same bytes, so we fall back to the date.
 */
export function validatorOf(headers: Headers): Validator | undefined {
  const etag = single(headers.etag)
  if (etag && !etag.startsWith('W/')) return {etag}
  const lastModified = single(headers['last-modified'])
  return lastModified ? {lastModified} : undefined
}

/** The header value for If-Range. */
export function ifRangeValue(validator: Validator): string {
  return 'etag' in validator ? validator.etag : validator.lastModified
}

export type ContentRange =
  /** A 206's range: bytes start..end (inclusive) of a file of `total` bytes (undefined for "*"). */
  | {readonly start: number; readonly end: number; readonly total: number | undefined}
  /** A 416's "bytes *\/total": the file has `total` bytes, none of them in the range asked for. */
  | {readonly unsatisfied: true; readonly total: number}

/** Parses `bytes 100-199/1000`, `bytes 100-199/*` and `bytes *\/1000`; undefined for anything else. */
export function parseContentRange(value: string | string[] | undefined): ContentRange | undefined {
  const text = single(value)?.trim()
  if (!text) return undefined
  const unsatisfied = /^bytes \*\/(\d+)$/i.exec(text)
  if (unsatisfied) return {unsatisfied: true, total: Number(unsatisfied[1])}
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(text)
  if (!range) return undefined
  const [start, end] = [Number(range[1]), Number(range[2])]
  const total = range[3] === '*' ? undefined : Number(range[3])
  if (end < start || (total !== undefined && end >= total)) return undefined
  return {start, end, total}
}

/** Content-Length as a number, undefined when absent or not a plain count. */
export function contentLength(headers: Headers): number | undefined {
  const text = single(headers['content-length'])
  return text !== undefined && /^\d+$/.test(text.trim()) ? Number(text) : undefined
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
