/**
 * The user's `cloud_init`, read and merged with vm's own config before anything is created:
 * what vm had to ignore is said, and the merged user-data is checked against cloud-init's own
 * schema when cloud-init is installed on the host, so mistakes show before a boot, not after.
 */
import {checkCloudConfigSchema, type SchemaCheck} from '../cloudinit/schema-check.js'
import {loadUserCloudInit} from '../cloudinit/user-cloud-init.js'
import {buildUserConfig} from '../cloudinit/user-data.js'
import {VmError} from '../errors.js'
import {GUEST_USER} from '../machine/ssh-target.js'
import type {Project} from '../machine/project.js'
import type {Services} from '../services.js'
import type {MachineConfig} from '../vmfile/types.js'

/** Stands in for values made at creation (keys) when only the shape of the config matters. */
const PLACEHOLDER_KEY = {privateKey: '<host private key>', publicKey: 'ssh-ed25519 AAAA placeholder'}

export type CheckedUserConfig = {
  readonly config: Record<string, unknown>
  /** What vm overrode or could not judge, in words. */
  readonly notes: readonly string[]
  readonly schema: SchemaCheck
}

/** Reads, merges and checks one machine's cloud_init; undefined when it has none. */
export async function checkUserConfig(services: Services, project: Project, machine: MachineConfig): Promise<CheckedUserConfig | undefined> {
  if (!machine.cloudInit) return undefined
  const source = machine.cloudInit.kind === 'file' ? {...machine.cloudInit, path: await project.grant.hostPath(machine.cloudInit.path, 'cloud_init file')} : machine.cloudInit
  const config = await loadUserCloudInit(source)
  const merged = buildUserConfig({hostname: machine.name, user: GUEST_USER, authorizedKey: 'ssh-ed25519 AAAA placeholder', hostKey: PLACEHOLDER_KEY, userConfig: config})
  const checked = await checkCloudConfigSchema(services.runner, merged.config)
  // Only the user's keys are judged: vm's own part is cloud-init's to accept, and a schema that
  // is stricter than cloud-init itself (minItems on ssh_genkeytypes in 22.4) must not block it.
  const schema: SchemaCheck = checked.available ? {available: true, problems: checked.problems.filter((p) => Object.hasOwn(config, p.path.split('.')[0]!))} : checked
  if (schema.available && schema.problems.length > 0) {
    const where = machine.cloudInit.kind === 'file' ? machine.cloudInit.path : `cloud_init in ${project.vmfile.path}`
    throw new VmError(`${machine.name}: the user-data does not pass cloud-init's schema check (${where}).`, {
      code: 'USER_CLOUD_INIT_INVALID',
      exitCode: 2,
      detail: schema.problems.map((p) => `  ${p.path || '(top level)'}: ${p.message}`).join('\n'),
      hint: `Fix these keys under cloud_init; \`vm cloud-init ${machine.name}\` prints the merged user-data.`,
    })
  }
  return {config, notes: merged.notes, schema}
}

/** For `vm up`: the user configs of the machines to create, by name; notes printed as warnings. */
export async function prepareUserConfigs(services: Services, project: Project, machines: readonly MachineConfig[]): Promise<Map<string, Record<string, unknown>>> {
  const configs = new Map<string, Record<string, unknown>>()
  let unchecked: string | undefined
  for (const machine of machines) {
    const checked = await checkUserConfig(services, project, machine)
    if (!checked) continue
    for (const note of checked.notes) services.out.warn(`${machine.name}: cloud_init: ${note}`)
    if (!checked.schema.available) unchecked = checked.schema.reason
    configs.set(machine.name, checked.config)
  }
  if (unchecked) services.out.warn(`cloud_init was merged but not checked against cloud-init's schema: ${unchecked}`)
  return configs
}
