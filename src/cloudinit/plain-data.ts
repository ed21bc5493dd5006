/** Small helpers for cloud-config as plain data (what yaml and JSON give: objects, lists, scalars). */

/** A map of keys to values: an object that is not a list. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** What a value is, for messages: "a map", "a list", a quoted string, a number, "nothing". */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  if (Array.isArray(value)) return 'a list'
  if (isRecord(value)) return 'a map'
  return String(value)
}
