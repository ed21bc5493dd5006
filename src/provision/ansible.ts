import {mkdir} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {stringify} from 'yaml'

import {shellQuote} from '../exec/shell-quote.js'
import type {ProjectPaths} from '../machine/paths.js'
import {sshOptions, type SshTarget} from '../ssh/ssh-args.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import type {Provisioner} from '../vmfile/types.js'
import {exitStatusOf, linesTo, type ProvisionContext} from './context.js'
import {ProvisionerError} from './errors.js'

export type AnsibleProvisioner = Extract<Provisioner, {kind: 'ansible'}>

/**
 * The ssh options ansible must pass on top of its own user/port/key: the pinned known_hosts,
 * checked strictly, under the name the key is pinned as (host keys are checked, never skipped),
 * and no agent, X11 or port forwarding into the guest whatever the user's ssh config says.
 */
const PINNING_OPTIONS = new Set([
  'IdentitiesOnly', 'UserKnownHostsFile', 'GlobalKnownHostsFile', 'HostKeyAlias', 'StrictHostKeyChecking', 'UpdateHostKeys',
  'ForwardAgent', 'ForwardX11', 'ClearAllForwardings',
])

/** `env` exits with this when it cannot find the program it should run. */
const ENV_NOT_FOUND = 127

/**
 * An inventory with one host, named after the machine. ansible splits ansible_ssh_common_args
 * like a POSIX shell (shlex), so each option is shell-quoted; ssh's %-escaping comes from
 * sshOptions. YAML 1.1 because ansible reads 1.1: a machine named `on` or `no` stays a string.
 */
export function renderInventory(machine: string, target: SshTarget): string {
  const common = sshOptions(target)
    .filter(([key]) => PINNING_OPTIONS.has(key))
    .map(([key, value]) => shellQuote(['-o', `${key}=${value}`]))
    .join(' ')
  const host = {
    ansible_host: target.host,
    ansible_port: target.port,
    ansible_user: target.user,
    ansible_ssh_private_key_file: target.identityFile,
    ansible_ssh_common_args: common,
  }
  return stringify({all: {hosts: {[machine]: host}}}, {lineWidth: 0, version: '1.1'})
}

/** Where the machine's inventory is kept; left in place so the user can rerun ansible by hand. */
export function inventoryPath(paths: ProjectPaths, machine: string): string {
  return join(paths.stateDir, 'ansible', `inventory-${machine}.yml`)
}

/**
 * argv for `env` (without the program name) that runs ansible-playbook in the playbook's folder,
 * where ansible finds the project's ansible.cfg. `env` because the runner sets neither a working
 * folder nor the environment: it runs everything with LC_ALL=C, and ansible-core refuses to
 * start without a UTF-8 locale. Colour is left to ansible, which sees a pipe and prints none, so
 * the lines read well in logs (ANSIBLE_FORCE_COLOR in the user's environment still reaches it).
 */
export function ansiblePlaybookArgs(inventory: string, playbook: string, extraVars: Readonly<Record<string, unknown>>): string[] {
  return [
    '-C', dirname(playbook),
    'LC_ALL=C.UTF-8',
    'ansible-playbook',
    '-i', inventory,
    ...(Object.keys(extraVars).length > 0 ? ['--extra-vars', JSON.stringify(extraVars)] : []),
    playbook,
  ]
}

/** Runs ansible-playbook on the host against the machine; resolves to its exit status. */
export async function runAnsibleProvisioner(ctx: ProvisionContext, provisioner: AnsibleProvisioner): Promise<number> {
  const inventory = inventoryPath(ctx.projectPaths, ctx.machine)
  await mkdir(dirname(inventory), {recursive: true, mode: 0o700})
  await writeFileAtomic(inventory, renderInventory(ctx.machine, ctx.target), 0o600)
  const show = linesTo(ctx.out)
  let notFound = false
  const status = await exitStatusOf(() =>
    ctx.runner.run('env', ansiblePlaybookArgs(inventory, provisioner.playbook, provisioner.extraVars), {
      // Every line as it comes, except env's own "not found", which the error below says better.
      onLine: (line, stream) => {
        if (stream === 'stderr' && isEnvNotFound(line)) notFound = true
        else show(line, stream)
      },
      signal: ctx.signal,
    }),
  )
  if (notFound && status === ENV_NOT_FOUND) throw new AnsibleNotInstalledError(ctx.machine, provisioner.label)
  return status
}

/** env's message when the program is not on PATH: "env: 'ansible-playbook': No such file or directory". */
function isEnvNotFound(line: string): boolean {
  return /^env: .ansible-playbook.: No such file or directory$/.test(line)
}

export class AnsibleNotInstalledError extends ProvisionerError {
  constructor(machine: string, label: string) {
    super(machine, label, 'ansible-playbook is needed on the host for this provisioner, and it is not installed (or not on PATH).', {
      code: 'ANSIBLE_NOT_INSTALLED',
      hint: 'Install it with `sudo apt-get install ansible-core` (or `pipx install ansible-core`), then run `vm provision ' + machine + '`.',
    })
  }
}
