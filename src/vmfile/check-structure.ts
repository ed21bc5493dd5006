/**
 * The Vmfile's shape, apart from setting values: unknown keys, `machines`, machine names.
 * Complaints here carry paths from the top of the document.
 */
import {complain, describeValue, unknownKeys, type Complaint} from './complaint.js'
import {MACHINE_KEYS, MACHINE_NAME_PATTERN, TOP_LEVEL_KEYS} from './schema.js'

/**
 * Checks everything but the settings' values. `raw` is parseVmfile's value, a Map when parsing
 * succeeded. Unknown keys are warnings; a bad `machines` or machine name is an error.
 */
export function checkStructure(raw: unknown): Complaint[] {
  if (!(raw instanceof Map)) return []
  const complaints = unknownKeys(raw, TOP_LEVEL_KEYS, [])
  if (raw.has('machines')) complaints.push(...checkMachines(raw.get('machines')))
  return complaints
}

function checkMachines(machines: unknown): Complaint[] {
  const expected = 'expected a map of machines such as "web: {}" (or no machines key for one machine)'
  if (!(machines instanceof Map) || machines.size === 0) {
    return [complain(`${expected}, found ${describeValue(machines)}`, ['machines'])]
  }
  return [...machines].flatMap(([key, settings]) => checkMachine(String(key), settings))
}

function checkMachine(name: string, settings: unknown): Complaint[] {
  const path = ['machines', name]
  const complaints: Complaint[] = []
  if (!MACHINE_NAME_PATTERN.test(name)) {
    const close = hostnameLike(name)
    const hint = close === undefined ? '' : `; did you mean ${close}?`
    const expected = 'expected a machine name that works as a hostname (a-z, 0-9 and inner "-", at most 63)'
    complaints.push(complain(`${expected}, found ${describeValue(name)}${hint}`, path, 'key'))
  }
  if (settings instanceof Map) complaints.push(...unknownKeys(settings, MACHINE_KEYS, path))
  else if (settings !== null) {
    const expected = 'expected a map of settings such as "memory: 2GiB" (or {})'
    complaints.push(complain(`${expected}, found ${describeValue(settings)}`, path))
  }
  return complaints
}

/** The closest valid machine name: lower case, other characters turned into "-", at most 63. */
function hostnameLike(name: string): string | undefined {
  const candidate = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '')
  return MACHINE_NAME_PATTERN.test(candidate) && candidate !== name ? candidate : undefined
}
