import {join} from 'node:path'

/** Every file vm keeps inside a project: all under `.vm/` beside the Vmfile. */
export type ProjectPaths = {
  readonly stateDir: string
  /** The project's ed25519 key pair; `vm ssh` logs in with it. */
  readonly privateKey: string
  readonly publicKey: string
  /** Host keys of the project's machines, pinned when vm generated them. */
  readonly knownHosts: string
  /** Held (flock) by every command that changes the project's machines. */
  readonly lockFile: string
  /** Scratch space for files on their way into libvirt (seed ISOs). */
  readonly tmpDir: string
}

export function projectPaths(projectDir: string): ProjectPaths {
  const stateDir = join(projectDir, '.vm')
  return {
    stateDir,
    privateKey: join(stateDir, 'id_ed25519'),
    publicKey: join(stateDir, 'id_ed25519.pub'),
    knownHosts: join(stateDir, 'known_hosts'),
    lockFile: join(stateDir, 'lock'),
    tmpDir: join(stateDir, 'tmp'),
  }
}
