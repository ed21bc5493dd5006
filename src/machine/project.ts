import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Runner} from '../exec/runner.js'
import {VmError} from '../errors.js'
import {ensureKeyPair} from '../ssh/keys.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import type {MachineConfig, Vmfile} from '../vmfile/types.js'
import {projectPaths, type ProjectPaths} from './paths.js'

/** A project: its Vmfile, resolved, and where its local state lives. */
export type Project = {
  readonly dir: string
  readonly vmfile: Vmfile
  readonly paths: ProjectPaths
}

export function projectOf(vmfile: Vmfile): Project {
  return {dir: vmfile.projectDir, vmfile, paths: projectPaths(vmfile.projectDir)}
}

/**
 * Makes `.vm/` (private, and git-ignored by a `*` inside it) and the project's key pair; returns
 * the public key. Idempotent.
 */
export async function ensureProjectState(runner: Runner, project: Project): Promise<string> {
  await ensureStateDir(project)
  await ensureKeyPair(runner, project.paths.privateKey, `vm project ${project.dir}`)
  return (await readFile(project.paths.publicKey, 'utf8')).trim()
}

/** Makes `.vm/`, private and git-ignored (by a `*` inside it). Idempotent. */
export async function ensureStateDir(project: Project): Promise<void> {
  await mkdir(project.paths.stateDir, {recursive: true, mode: 0o700})
  const ignore = join(project.paths.stateDir, '.gitignore')
  if (!(await readFile(ignore, 'utf8').then(() => true, () => false))) {
    await writeFileAtomic(ignore, '# Written by vm: machine keys and state stay out of git.\n*\n')
  }
}

/**
 * vm logs in to existing MACHINES with the project's key; when `.vm/` was deleted (a `git clean
 * -x`, say) that key is gone and nothing can bring it back. Say so at once rather than let SSH
 * time out. The machines themselves are intact and libvirt still lists them.
 */
export async function requireProjectKey(project: Project, machines: readonly string[]): Promise<void> {
  if (machines.length === 0) return
  if (await readFile(project.paths.privateKey).then(() => true, () => false)) return
  throw new VmError(`The project's key ${project.paths.privateKey} is gone (was .vm/ deleted?), so vm cannot log in to ${machines.join(', ')}.`, {
    code: 'PROJECT_KEY_MISSING',
    hint: `The machines are still there (\`vm status\`). \`vm destroy -f ${machines.join(' ')}\` then \`vm up\` makes them again with a new key; their disks are lost.`,
  })
}

/**
 * The machines a command acts on: the named ones in the order given, or all of them. An unknown
 * name is a usage error that lists the known ones.
 */
export function selectMachines(project: Project, names: readonly string[]): MachineConfig[] {
  const all = project.vmfile.machines
  if (names.length === 0) return [...all]
  return [...new Set(names)].map((name) => {
    const machine = all.find((m) => m.name === name)
    if (!machine) {
      throw new VmError(`No machine named "${name}" in ${project.vmfile.path}.`, {
        code: 'MACHINE_NOT_FOUND',
        exitCode: 2,
        hint: `Machines here: ${all.map((m) => m.name).join(', ')}.`,
      })
    }
    return machine
  })
}

/** The one machine a single-machine command (ssh, ssh-config) means when none is named. */
export function selectOneMachine(project: Project, name: string | undefined): MachineConfig {
  const all = project.vmfile.machines
  if (name !== undefined) return selectMachines(project, [name])[0]!
  if (all.length === 1) return all[0]!
  throw new VmError(`This project has ${all.length} machines; say which one.`, {
    code: 'MACHINE_AMBIGUOUS',
    exitCode: 2,
    hint: `One of: ${all.map((m) => m.name).join(', ')}.`,
  })
}
