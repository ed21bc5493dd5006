import {Grant} from '../consent/grant.js'
import type {Runner} from '../exec/runner.js'
import {VmError} from '../errors.js'
import {keyRecordDir} from '../ssh/key-record.js'
import {checkKey, ensureKeyPair, type ProjectKey} from '../ssh/keys.js'
import {readOwnedFile} from '../util/owned-file.js'
import type {MachineConfig, Vmfile} from '../vmfile/types.js'
import {projectPaths, type ProjectPaths} from './paths.js'
import {checkStateDir, ensureStateDir, stateDirFix} from './state-dir.js'

/** A project: its Vmfile, resolved, and where its local state lives. */
export type Project = {
  readonly dir: string
  readonly vmfile: Vmfile
  readonly paths: ProjectPaths
  /** What the user allowed this project to reach beyond its folder; every host path is checked against it at its use. */
  readonly grant: Grant
}

export function projectOf(vmfile: Vmfile): Project {
  return {dir: vmfile.projectDir, vmfile, paths: projectPaths(vmfile.projectDir), grant: new Grant(vmfile.projectDir)}
}

/** The project's key, and where the user's record of keys vm made lives (in DATADIR). */
export function projectKey(project: Project, dataDir: string): ProjectKey {
  return {privatePath: project.paths.privateKey, recordDir: keyRecordDir(dataDir), projectDir: project.dir, fix: stateDirFix(project.paths)}
}

/**
 * Makes `.vm/` (private, and git-ignored by a `*` inside it) and the project's key pair, or
 * checks the ones there (see state-dir.ts, keys.ts); returns the public key. Idempotent.
 */
export async function ensureProjectState(runner: Runner, project: Project, dataDir: string): Promise<string> {
  await ensureStateDir(project.paths)
  await ensureKeyPair(runner, projectKey(project, dataDir), `vm project ${project.dir}`)
  const publicKey = await readOwnedFile(project.paths.publicKey, stateDirFix(project.paths))
  if (!publicKey) throw new VmError(`The project's public key ${project.paths.publicKey} is missing.`, {code: 'PROJECT_KEY_MISSING', hint: stateDirFix(project.paths)})
  return publicKey.toString('utf8').trim()
}

/**
 * Checks what `.vm/` holds, before anything is made with it: no symlinks, nothing of another
 * user's, and a key only if vm made it. Resolves whether there is a key.
 */
export async function checkProjectState(project: Project, dataDir: string): Promise<boolean> {
  await checkStateDir(project.paths)
  return checkKey(projectKey(project, dataDir))
}

/**
 * vm logs in to existing MACHINES with the project's key; when `.vm/` was deleted (a `git clean
 * -x`, say) that key is gone and nothing can bring it back. Say so at once rather than let SSH
 * time out. The machines themselves are intact and libvirt still lists them.
 */
export async function requireProjectKey(project: Project, machines: readonly string[], dataDir: string): Promise<void> {
  const hasKey = await checkProjectState(project, dataDir)
  if (machines.length === 0 || hasKey) return
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
