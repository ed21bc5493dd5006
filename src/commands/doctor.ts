import {VmCommand} from '../base-command.js'
import {runChecks, type CheckResult} from '../doctor/checks.js'

const LABEL = {ok: 'ok  ', warn: 'WARN', fail: 'FAIL'} as const

export default class Doctor extends VmCommand {
  static override summary = 'Check that this host can run vm machines, and say how to fix what is missing.'
  static override description = `Checks libvirt (reachable, its version), KVM (usable, or why not), libvirt's default network, the storage pool and its folder, qemu-img, ssh and ssh-keygen, free disk for the box cache and the pool, and virtiofsd. Each problem comes with the command that fixes it. Exit status 1 when something blocks \`vm up\` (FAIL); warnings (WARN) only cost speed or a feature. --json prints a list of {name, status: ok|warn|fail, detail, fix?}.`
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']
  static override enableJsonFlag = true

  async run(): Promise<CheckResult[]> {
    const {flags} = await this.parse(Doctor)
    const results = await runChecks(this.services(flags.verbose))
    const width = Math.max(...results.map((r) => r.name.length))
    for (const r of results) {
      this.log(`${LABEL[r.status]}  ${r.name.padEnd(width)}  ${r.detail}`)
      if (r.fix) this.log(`${' '.repeat(width + 8)}fix: ${r.fix}`)
    }
    const failed = results.filter((r) => r.status === 'fail')
    if (failed.length > 0) {
      this.logToStderr(`${failed.length} problem${failed.length === 1 ? '' : 's'} block${failed.length === 1 ? 's' : ''} \`vm up\`: ${failed.map((r) => r.name).join(', ')}.`)
      // Not this.exit(): in --json mode oclif would print an error object after the list.
      process.exitCode = 1
    }
    return results
  }
}
