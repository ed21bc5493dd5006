import {homedir} from 'node:os'
import {join} from 'node:path'

/**
 * Where vm keeps its own files. XDG folders by default; VM_HOME relocates all of them into one
 * folder (the tests use it so that a run never touches the user's cache).
 */
export type VmHome = {
  /** Downloaded boxes, content-addressed. */
  readonly cacheDir: string
  /** Long-lived state that is not per project. */
  readonly dataDir: string
  readonly configDir: string
}

export function resolveVmHome(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): VmHome {
  if (env.VM_HOME) {
    return {
      cacheDir: join(env.VM_HOME, 'cache'),
      dataDir: join(env.VM_HOME, 'data'),
      configDir: join(env.VM_HOME, 'config'),
    }
  }
  const xdg = (name: string, fallback: string) => {
    const value = env[name]
    // The XDG spec says relative values are invalid and must be ignored.
    return value && value.startsWith('/') ? value : join(home, fallback)
  }
  return {
    cacheDir: join(xdg('XDG_CACHE_HOME', '.cache'), 'vm'),
    dataDir: join(xdg('XDG_DATA_HOME', '.local/share'), 'vm'),
    configDir: join(xdg('XDG_CONFIG_HOME', '.config'), 'vm'),
  }
}
