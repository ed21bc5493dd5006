/**
 * What the user allowed a project to reach, checked where each thing is used, not only when the
 * Vmfile was read: a symlink in the project can change between the two (a live folder lets the
 * guest make one), so every host path is resolved again at its use and must lead inside the
 * project or to a place the user allowed.
 */
import {shellQuote} from '../exec/shell-quote.js'
import {VmError} from '../errors.js'
import {realPathOf} from './inspect-reach.js'
import {isInsideProject, type ReachItem} from './reach.js'

export class HostPathOutsideError extends VmError {
  constructor(named: string, real: string, use: string) {
    const shown = real === named ? real : `${named}, which leads to ${real},`
    super(`The ${use} ${shown} is outside the project, and you have not allowed it.`, {
      code: 'HOST_PATH_NOT_ALLOWED',
      exitCode: 2,
      hint: `If you trust this Vmfile, allow what it reaches with \`${shellQuote(['vm', 'allow'])}\` (it lists it), or pass --allow to this command.`,
    })
  }
}

export class Grant {
  private readonly paths = new Set<string>()
  private ansible = false

  constructor(private readonly projectDir: string) {}

  /** Takes what the user allowed: every item consented to (gate.ts). */
  allow(items: readonly ReachItem[]): void {
    for (const item of items) {
      if (item.realPath) this.paths.add(item.realPath)
      if (item.kind === 'ansible') this.ansible = true
    }
  }

  /**
   * PATH resolved (symlinks included) as it is now; throws unless that is inside the project (and
   * not its .vm/) or a path the user allowed. USE names it in the error ("file provisioner source").
   */
  async hostPath(path: string, use: string): Promise<string> {
    const real = await realPathOf(path)
    if (isInsideProject(real, await realPathOf(this.projectDir))) return real
    if (this.paths.has(real)) return real
    throw new HostPathOutsideError(path, real, use)
  }

  /** Throws unless the user allowed ansible-playbook to run on the host for this project. */
  requireAnsible(playbook: string): void {
    if (this.ansible) return
    throw new VmError(`ansible-playbook would run ${playbook} on this host, with whatever roles and plugins come with it, and you have not allowed it.`, {
      code: 'ANSIBLE_NOT_ALLOWED',
      exitCode: 2,
      hint: 'If you trust this repository, run `vm allow` (it lists what the Vmfile reaches), or pass --allow to this command.',
    })
  }
}
