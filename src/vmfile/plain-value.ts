/**
 * Values the Vmfile passes through to other programs (cloud-config, ansible extra vars) leave
 * the YAML layer as plain JSON-like data: the parser gives Maps so that checkers can see key
 * order and non-string keys, but cloud-init and ansible take objects.
 */

/** Deep copy of VALUE with every Map turned into an object (keys as strings). */
export function toPlain(value: unknown): unknown {
  if (value instanceof Map) {
    const object: Record<string, unknown> = {}
    // defineProperty, not assignment: a key named __proto__ must stay a key, not set the prototype.
    for (const [key, inner] of value) Object.defineProperty(object, String(key), {value: toPlain(inner), enumerable: true, writable: true, configurable: true})
    return object
  }
  if (Array.isArray(value)) return value.map(toPlain)
  return value
}
