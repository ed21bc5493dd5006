/**
 * Step 2 of 3: which value each machine gets for each setting, and where that value came
 * from. Precedence, per setting and per machine:
 *
 *   machine value (machines.<name>.<key>), then top-level value (<key>), then built-in default;
 *   then, for accelerator only, the environment variable VM_ACCELERATOR overrides all of them.
 *
 * Values are passed on unchecked, with their origin, so that validate.ts checks each origin
 * once: a bad top-level memory inherited by two machines is one problem, at the top-level key.
 */
import type {YamlPath} from './locate.js'
import {ACCELERATOR_ENV, BUILTIN_DEFAULTS, DEFAULT_MACHINE_NAME, SETTING_KEYS, type SettingKey} from './schema.js'

/** The process environment, or a stand-in for it in tests. */
export type Env = Readonly<Record<string, string | undefined>>

/** Where a value came from: a node in the Vmfile, a built-in default, or an environment variable. */
export type Origin =
  | {readonly kind: 'file'; readonly path: YamlPath}
  | {readonly kind: 'default'; readonly key: SettingKey}
  | {readonly kind: 'env'; readonly name: string}

/** A value as written (not yet checked) and its origin. */
export type Sourced = {readonly value: unknown; readonly origin: Origin}

export type FilledMachine = {
  readonly name: string
  /** ["machines", name], or [] for the implicit "default" machine of a Vmfile without machines. */
  readonly path: YamlPath
  /** Undefined when neither the machine nor the top level sets one: there is no built-in box. */
  readonly box?: Sourced
  readonly cpus: Sourced
  readonly memory: Sourced
  readonly disk: Sourced
  readonly accelerator: Sourced
  /** The settings without a built-in default (cloud_init, folders, ports, …), only those written. */
  readonly optional: Partial<Record<OptionalKey, Sourced>>
}

/** Settings that have no built-in default: absent means "none". */
export const OPTIONAL_KEYS = ['cloud_init', 'folders', 'ports', 'provision', 'network', 'bridge', 'private_network'] as const
export type OptionalKey = (typeof OPTIONAL_KEYS)[number]

/**
 * Fills in every machine's settings following the precedence above. `raw` is parseVmfile's
 * plain value. Does not validate anything: a `machines` that is not a non-empty map yields no
 * machines, and entries that are not maps (or null, which means "no settings") are skipped;
 * validate.ts reports both. Machines are returned in file order.
 */
export function fillDefaults(raw: unknown, env: Env): FilledMachine[] {
  const top = asMap(raw) ?? new Map<unknown, unknown>()
  return machineEntries(top).map((entry) => fillMachine(entry, top, env))
}

/**
 * Every setting written in the file, top level first, then machine by machine, in file order;
 * including values that no machine ends up using (so a bad one is still reported).
 */
export function declaredSettings(raw: unknown): {key: SettingKey; sourced: Sourced}[] {
  const top = asMap(raw) ?? new Map<unknown, unknown>()
  const machines = machineEntries(top).filter((entry) => entry.path.length > 0)
  const scopes = [{settings: top, path: [] as YamlPath}, ...machines]
  return scopes.flatMap(({settings, path}) =>
    SETTING_KEYS.filter((key) => settings.has(key)).map((key) => ({
      key,
      sourced: {value: settings.get(key), origin: {kind: 'file', path: [...path, key]}} satisfies Sourced,
    })),
  )
}

type MachineEntry = {name: string; path: YamlPath; settings: Map<unknown, unknown>}

/** The machines to fill: each entry of `machines`, or one "default" machine when it is absent. */
function machineEntries(top: Map<unknown, unknown>): MachineEntry[] {
  if (!top.has('machines')) return [{name: DEFAULT_MACHINE_NAME, path: [], settings: new Map()}]
  const machines = asMap(top.get('machines'))
  if (!machines) return []
  return [...machines].flatMap(([key, value]) => {
    // `web:` with nothing after it is the natural way to write a machine with no settings.
    const settings = value === null ? new Map<unknown, unknown>() : asMap(value)
    return settings ? [{name: String(key), path: ['machines', String(key)], settings}] : []
  })
}

function fillMachine({name, path, settings}: MachineEntry, top: Map<unknown, unknown>, env: Env): FilledMachine {
  const box = fromFile('box', settings, top, path)
  const optional: Partial<Record<OptionalKey, Sourced>> = {}
  for (const key of OPTIONAL_KEYS) {
    const sourced = fromFile(key, settings, top, path)
    if (sourced) optional[key] = sourced
  }
  return {
    name,
    path,
    ...(box ? {box} : {}),
    cpus: withDefault('cpus', fromFile('cpus', settings, top, path)),
    memory: withDefault('memory', fromFile('memory', settings, top, path)),
    disk: withDefault('disk', fromFile('disk', settings, top, path)),
    accelerator: withEnvAccelerator(withDefault('accelerator', fromFile('accelerator', settings, top, path)), env),
    optional,
  }
}

/** The machine's own value, else the top-level one; undefined when neither is written. */
function fromFile(
  key: SettingKey,
  settings: Map<unknown, unknown>,
  top: Map<unknown, unknown>,
  machinePath: YamlPath,
): Sourced | undefined {
  if (machinePath.length > 0 && settings.has(key)) {
    return {value: settings.get(key), origin: {kind: 'file', path: [...machinePath, key]}}
  }
  if (top.has(key)) return {value: top.get(key), origin: {kind: 'file', path: [key]}}
  return undefined
}

function withDefault(key: keyof typeof BUILTIN_DEFAULTS, sourced: Sourced | undefined): Sourced {
  return sourced ?? {value: BUILTIN_DEFAULTS[key], origin: {kind: 'default', key}}
}

/**
 * VM_ACCELERATOR wins over the file, so a host without /dev/kvm (a CI runner, a nested VM) can
 * force tcg without editing a shared Vmfile. An empty value counts as unset, as shells make it easy.
 */
function withEnvAccelerator(sourced: Sourced, env: Env): Sourced {
  const value = env[ACCELERATOR_ENV]
  return value === undefined || value === '' ? sourced : {value, origin: {kind: 'env', name: ACCELERATOR_ENV}}
}

function asMap(value: unknown): Map<unknown, unknown> | undefined {
  return value instanceof Map ? value : undefined
}
