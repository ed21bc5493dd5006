/**
 * The Vmfile's vocabulary in one place: which keys exist where, and the built-in defaults.
 * Checkers, the unknown-key warnings and the defaults all read these lists, so adding a
 * setting means touching this file and one checker.
 */

/** Settings that can be written at the top level and overridden per machine. */
export const SETTING_KEYS = [
  'box',
  'cpus',
  'memory',
  'disk',
  'accelerator',
  'cloud_init',
  'folders',
  'ports',
  'provision',
  'network',
  'bridge',
  'private_network',
] as const
export type SettingKey = (typeof SETTING_KEYS)[number]

/** Keys allowed at the top level: every setting plus `machines`. */
export const TOP_LEVEL_KEYS: readonly string[] = [...SETTING_KEYS, 'machines']

/** Keys allowed under one machine (`machines.<name>`). */
export const MACHINE_KEYS: readonly string[] = SETTING_KEYS

/** Keys allowed in a box map (`box: {url: …}`). */
export const BOX_KEYS: readonly string[] = ['url', 'sha256', 'checksum_url']

/** Keys allowed in one entry of `folders`. */
export const FOLDER_KEYS: readonly string[] = ['host', 'guest', 'type', 'exclude']

/** Keys allowed in a `shell:` map, a `file:` map and an `ansible:` map of `provision`. */
export const SHELL_KEYS: readonly string[] = ['inline', 'path', 'privileged', 'env', 'args']
export const FILE_KEYS: readonly string[] = ['source', 'destination']
export const ANSIBLE_KEYS: readonly string[] = ['playbook', 'extra_vars']
export const PROVISIONER_KINDS: readonly string[] = ['shell', 'file', 'ansible']

/** Keys allowed in a `private_network` map. */
export const PRIVATE_NETWORK_KEYS: readonly string[] = ['ip']

/**
 * Built-in defaults, written the way a user would write them in the Vmfile so they go
 * through the same checks as file values. `box` has none: it must be chosen.
 */
export const BUILTIN_DEFAULTS = {
  cpus: 2,
  memory: '1GiB',
  disk: '10GiB',
  accelerator: 'auto',
} as const satisfies Partial<Record<SettingKey, unknown>>

/** Overrides `accelerator` for every machine when set to a non-empty value. */
export const ACCELERATOR_ENV = 'VM_ACCELERATOR'

/** The name of the single machine of a Vmfile without `machines:`. */
export const DEFAULT_MACHINE_NAME = 'default'

/** Machine names become hostnames and parts of libvirt names: one DNS label (RFC 1123), lower case. */
export const MACHINE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** A catalog name from boxes/, e.g. "debian-12" or "ubuntu-24.04". */
export const BOX_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/
