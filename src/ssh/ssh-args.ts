/** Everything ssh needs to reach one machine with the pinned host key. */
export type SshTarget = {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly identityFile: string
  readonly knownHostsFile: string
  /** The name the host key is pinned under, so the check holds whatever IP DHCP hands out. */
  readonly hostKeyAlias: string
}

/** What a login may hand the guest beyond a shell; nothing unless the user asks (`vm ssh -A/-X`). */
export type SshForwarding = {readonly agent?: boolean; readonly x11?: boolean}

/**
 * Options shared by every ssh vm runs and by `vm ssh-config`. Host keys are always checked, never
 * skipped. The guest is not trusted: a `ForwardAgent yes` or `LocalForward` in the user's
 * ~/.ssh/config must not reach it, and ssh takes the first value it sees, so these win over it.
 */
export function sshOptions(target: SshTarget, forwarding: SshForwarding = {}): Array<[string, string]> {
  return [
    ['User', target.user],
    ['Port', String(target.port)],
    // ssh expands %-tokens in these paths; a literal % (a folder named "100%") must be doubled.
    ['IdentityFile', target.identityFile.replaceAll('%', '%%')],
    ['IdentitiesOnly', 'yes'],
    ['UserKnownHostsFile', target.knownHostsFile.replaceAll('%', '%%')],
    ['GlobalKnownHostsFile', '/dev/null'],
    ['HostKeyAlias', target.hostKeyAlias],
    ['StrictHostKeyChecking', 'yes'],
    ['UpdateHostKeys', 'no'],
    ['PasswordAuthentication', 'no'],
    ['LogLevel', 'ERROR'],
    ['ForwardAgent', forwarding.agent ? 'yes' : 'no'],
    ['ForwardX11', forwarding.x11 ? 'yes' : 'no'],
    // Port forwards are vm's own (Vmfile `ports`); none from the user's ssh config ride along.
    ['ClearAllForwardings', 'yes'],
  ]
}

export type SshArgsOptions = {
  /** Run this command instead of a login shell; ssh joins the words and the guest's shell reads them. */
  readonly command?: readonly string[]
  /** Ask for a terminal (interactive login from a terminal). */
  readonly tty?: boolean
  /** No prompts ever: for vm's own probes. */
  readonly batch?: boolean
  readonly connectTimeoutSeconds?: number
  /** Only `vm ssh -A` / `-X` set these. */
  readonly forwarding?: SshForwarding
}

/** argv for ssh (without the program name). `--` keeps the destination from being read as an option. */
export function sshArgs(target: SshTarget, options: SshArgsOptions = {}): string[] {
  const args: string[] = []
  for (const [key, value] of sshOptions(target, options.forwarding)) args.push('-o', `${key}=${value}`)
  if (options.batch) args.push('-o', 'BatchMode=yes')
  if (options.connectTimeoutSeconds) args.push('-o', `ConnectTimeout=${options.connectTimeoutSeconds}`)
  args.push(options.tty ? '-t' : '-T')
  args.push('--', target.host, ...(options.command ?? []))
  return args
}

/** A Host block for ~/.ssh/config (what `vm ssh-config` prints). */
export function renderSshConfig(alias: string, target: SshTarget): string {
  const lines = [`Host ${alias}`, `  HostName ${target.host}`]
  for (const [key, value] of sshOptions(target)) lines.push(`  ${key} ${quoteConfigValue(value)}`)
  return lines.join('\n') + '\n'
}

function quoteConfigValue(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replaceAll('"', '\\"')}"` : value
}
