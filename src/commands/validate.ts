import {Flags} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {hostArch} from '../box/catalog.js'
import {resolveBoxRequest} from '../box/resolve-request.js'
import {VmError} from '../errors.js'
import {resolveVmHome} from '../home.js'
import {projectOf} from '../machine/project.js'
import {checkUserConfig} from '../steps/user-config.js'
import {inspectConsent} from '../consent/gate.js'
import {HostPathOutsideError} from '../consent/grant.js'
import {renderReachItem, type ReachKind} from '../consent/reach.js'

export type ValidateResult = {
  file: string
  machines: {name: string; box: string; cpus: number; memoryBytes: number; diskBytes: number}[]
  warnings: {path: string; message: string; line: number | null; col: number | null}[]
  /** What the Vmfile reaches beyond its project (each needs consent), and whether `vm allow` covers it now. */
  reach: {items: {kind: ReachKind; machines: readonly string[]; text: string; realPath: string | null}[]; allowed: boolean}
}

export default class Validate extends VmCommand {
  static override summary = 'Check the Vmfile without creating anything: every problem at once, with its place.'
  static override description =
    'Reads the Vmfile as `vm up` would, fills the defaults, and checks every value, including that each box name is an added box or in the catalog, and that cloud_init is #cloud-config that passes the schema of cloud-init once merged (when cloud-init is installed on this host). Touches neither libvirt nor the network. Exits 2 on errors; warnings (such as a misspelt key) are printed and exit 0, unless --strict.'
  static override examples = ['<%= config.bin %> validate', '<%= config.bin %> validate --strict --json']
  static override enableJsonFlag = true
  static override flags = {
    strict: Flags.boolean({summary: 'Treat warnings as errors (for CI).'}),
  }

  async run(): Promise<ValidateResult> {
    const {flags} = await this.parse(Validate)
    const loaded = await this.loadCheckedVmfile(process.env, {strict: flags.strict})
    const home = resolveVmHome(process.env)
    const arch = hostArch()
    const machines = []
    const services = this.services(flags.verbose)
    const project = projectOf(loaded.vmfile)
    const consent = await inspectConsent(project, home.dataDir)
    if (consent.allowed) project.grant.allow(consent.items)
    let unchecked: string | undefined
    for (const machine of loaded.vmfile.machines) {
      const request = await resolveBoxRequest(machine.box, arch, home).catch((error: unknown) => {
        if (!(error instanceof VmError)) throw error
        const message = `${loaded.displayName} machines.${machine.name}.box: ${error.message}`
        throw new VmError(message, {code: error.code, exitCode: 2, detail: error.detail, hint: error.hint})
      })
      // cloud_init: the file is read, merged and (where cloud-init is installed) schema-checked.
      // A file outside the project is read only once the user allowed it.
      const checked = await checkUserConfig(services, project, machine).catch((error: unknown) => {
        if (!(error instanceof HostPathOutsideError)) throw error
        this.out.warn(`${machine.name}: cloud_init: not read or checked: ${error.message}`)
        return undefined
      })
      for (const note of checked?.notes ?? []) this.out.warn(`${machine.name}: cloud_init: ${note}`)
      if (checked && !checked.schema.available) unchecked = checked.schema.reason
      machines.push({name: machine.name, box: request.name, cpus: machine.cpus, memoryBytes: machine.memoryBytes, diskBytes: machine.diskBytes})
    }
    if (unchecked) this.out.warn(`cloud_init was not checked against cloud-init's schema: ${unchecked}`)
    const names = machines.map((m) => `${m.name} (${m.box})`).join(', ')
    this.log(`${loaded.displayName} is valid: ${machines.length} machine${machines.length === 1 ? '' : 's'}, ${names}.`)
    if (consent.items.length > 0) {
      this.log(consent.allowed ? 'It reaches beyond its project, as you allowed with `vm allow`:' : 'It reaches beyond its project; `vm up` needs your consent first (`vm allow`, --allow, or a yes on a terminal):')
      for (const item of consent.items) this.log(`  - ${renderReachItem(item)}`)
    }
    return {
      reach: {items: consent.items.map((i) => ({kind: i.kind, machines: i.machines, text: i.text, realPath: i.realPath ?? null})), allowed: consent.allowed},
      file: loaded.vmfile.path,
      machines,
      warnings: loaded.problems.map((p) => ({path: p.path, message: p.message, line: p.line ?? null, col: p.col ?? null})),
    }
  }
}
