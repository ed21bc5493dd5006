import type {SshTarget} from '../ssh/ssh-args.js'
import type {Project} from './project.js'

/** The login user vm creates in every machine. */
export const GUEST_USER = 'vm'

/** How to reach a machine of PROJECT at IP, with its host key pinned under the domain's name. */
export function sshTarget(project: Project, domain: string, ip: string): SshTarget {
  return {
    host: ip,
    port: 22,
    user: GUEST_USER,
    identityFile: project.paths.privateKey,
    knownHostsFile: project.paths.knownHosts,
    hostKeyAlias: domain,
  }
}
