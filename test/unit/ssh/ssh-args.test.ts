import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {renderSshConfig, sshArgs, type SshTarget} from '../../../src/ssh/ssh-args.js'
import {runTool} from '../fixture.js'

/** The configuration ssh would use (`ssh -G`), one "key value" a line; connects nowhere. */
function sshG(args: readonly string[]): string[] {
  const result = runTool('ssh', ['-G', ...args], 'openssh-client')
  expect(result.status, result.stderr).to.equal(0)
  return result.stdout.split('\n')
}

const TARGET: SshTarget = {
  host: '192.168.122.45',
  port: 22,
  user: 'vm',
  identityFile: '/home/ana/shop/.vm/id_ed25519',
  knownHostsFile: '/home/ana/shop/.vm/known_hosts',
  hostKeyAlias: 'shop-web-1a2b3c4d',
}

const OPTIONS = [
  '-o', 'User=vm',
  '-o', 'Port=22',
  '-o', 'IdentityFile=/home/ana/shop/.vm/id_ed25519',
  '-o', 'IdentitiesOnly=yes',
  '-o', 'UserKnownHostsFile=/home/ana/shop/.vm/known_hosts',
  '-o', 'GlobalKnownHostsFile=/dev/null',
  '-o', 'HostKeyAlias=shop-web-1a2b3c4d',
  '-o', 'StrictHostKeyChecking=yes',
  '-o', 'UpdateHostKeys=no',
  '-o', 'PasswordAuthentication=no',
  '-o', 'LogLevel=ERROR',
  '-o', 'ForwardAgent=no',
  '-o', 'ForwardX11=no',
  '-o', 'ClearAllForwardings=yes',
]

describe('ssh/ssh-args', () => {
  let scratch: string

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'vm-ssh-args-'))
  })

  after(() => {
    rmSync(scratch, {recursive: true, force: true})
  })

  describe('sshArgs', () => {
    it('logs in without a terminal by default, the host after --', () => {
      expect(sshArgs(TARGET)).to.deep.equal([...OPTIONS, '-T', '--', '192.168.122.45'])
    })

    it('asks for a terminal with tty', () => {
      expect(sshArgs(TARGET, {tty: true})).to.deep.equal([...OPTIONS, '-t', '--', '192.168.122.45'])
    })

    it('puts the command words after the host, unchanged', () => {
      expect(sshArgs(TARGET, {command: ['sudo', 'systemctl', 'status', 'nginx; rm -rf /', '-v']})).to.deep.equal([
        ...OPTIONS, '-T', '--', '192.168.122.45', 'sudo', 'systemctl', 'status', 'nginx; rm -rf /', '-v',
      ])
    })

    it('adds BatchMode and ConnectTimeout for probes', () => {
      expect(sshArgs(TARGET, {command: ['true'], batch: true, connectTimeoutSeconds: 5})).to.deep.equal([
        ...OPTIONS, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-T', '--', '192.168.122.45', 'true',
      ])
    })

    it('keeps a host that looks like an option from being read as one', () => {
      const args = sshArgs({...TARGET, host: '-oProxyCommand=touch /tmp/x'})
      expect(args.slice(-2)).to.deep.equal(['--', '-oProxyCommand=touch /tmp/x'])
    })

    it('keeps a % in the project path literal: ssh expands %-tokens (%d is the home folder) in file options', () => {
      const target = {...TARGET, identityFile: '/home/ana/100%done/.vm/id_ed25519', knownHostsFile: '/home/ana/100%done/.vm/known_hosts'}
      const args = sshArgs(target)
      // ssh -G prints UserKnownHostsFile expanded; IdentityFile is expanded later, when ssh loads it.
      expect(sshG(['-F', '/dev/null', ...args])).to.include('userknownhostsfile /home/ana/100%done/.vm/known_hosts')
      expect(args).to.include('IdentityFile=/home/ana/100%%done/.vm/id_ed25519')
    })

    it("forwards no agent, X11 or port into the guest though the user's ssh config asks for all three", () => {
      const config = join(scratch, 'forwarding-config')
      writeFileSync(config, 'Host *\n  ForwardAgent yes\n  ForwardX11 yes\n  LocalForward 8080 localhost:80\n  RemoteForward 9090 localhost:22\n')
      const lines = sshG(['-F', config, ...sshArgs(TARGET)])
      expect(lines).to.include.members(['forwardagent no', 'forwardx11 no', 'clearallforwardings yes'])
      expect(lines.filter((l) => /^(local|remote|dynamic)forward /.test(l))).to.deep.equal([])
    })

    it('forwards the agent or X11 only when asked (vm ssh -A / -X)', () => {
      const config = join(scratch, 'plain-config')
      writeFileSync(config, '')
      expect(sshG(['-F', config, ...sshArgs(TARGET, {forwarding: {agent: true}})])).to.include.members(['forwardagent yes', 'forwardx11 no'])
      expect(sshG(['-F', config, ...sshArgs(TARGET, {forwarding: {x11: true}})])).to.include.members(['forwardagent no', 'forwardx11 yes'])
    })

    it('always checks the host key, whatever the options', () => {
      for (const options of [{}, {tty: true}, {batch: true}, {batch: true, connectTimeoutSeconds: 1, command: ['x']}]) {
        const args = sshArgs(TARGET, options)
        const values = args.filter((_, i) => args[i - 1] === '-o')
        expect(values.filter((v) => v.startsWith('StrictHostKeyChecking='))).to.deep.equal(['StrictHostKeyChecking=yes'])
      }
    })
  })

  describe('renderSshConfig', () => {
    it('prints a Host block', () => {
      expect(renderSshConfig('web', TARGET)).to.equal(
        [
          'Host web',
          '  HostName 192.168.122.45',
          '  User vm',
          '  Port 22',
          '  IdentityFile /home/ana/shop/.vm/id_ed25519',
          '  IdentitiesOnly yes',
          '  UserKnownHostsFile /home/ana/shop/.vm/known_hosts',
          '  GlobalKnownHostsFile /dev/null',
          '  HostKeyAlias shop-web-1a2b3c4d',
          '  StrictHostKeyChecking yes',
          '  UpdateHostKeys no',
          '  PasswordAuthentication no',
          '  LogLevel ERROR',
          '  ForwardAgent no',
          '  ForwardX11 no',
          '  ClearAllForwardings yes',
          '',
        ].join('\n'),
      )
    })

    it('quotes paths with spaces and escapes their double quotes', () => {
      const text = renderSshConfig('web', {
        ...TARGET,
        identityFile: '/home/ana/my shop/.vm/id_ed25519',
        knownHostsFile: '/home/ana/"quoted" shop/.vm/known_hosts',
      })
      expect(text).to.include('\n  IdentityFile "/home/ana/my shop/.vm/id_ed25519"\n')
      expect(text).to.include('\n  UserKnownHostsFile "/home/ana/\\"quoted\\" shop/.vm/known_hosts"\n')
    })

    it('is read back by ssh -G as the same values (paths with spaces and double quotes)', () => {
      const dir = join(scratch, 'my "shop"')
      const config = join(scratch, 'config')
      writeFileSync(config, renderSshConfig('web', {...TARGET, identityFile: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'known_hosts')}))
      const lines = sshG(['-F', config, 'web'])
      expect(lines).to.include(`identityfile ${join(dir, 'id_ed25519')}`)
      expect(lines).to.include(`userknownhostsfile ${join(dir, 'known_hosts')}`)
      expect(lines).to.include('hostname 192.168.122.45')
      expect(lines).to.include('stricthostkeychecking true')
      expect(lines).to.include('hostkeyalias shop-web-1a2b3c4d')
    })

    it('quotes a path with a double quote and no space too (ssh would drop a bare quote)', () => {
      const config = join(scratch, 'config-quote')
      writeFileSync(config, renderSshConfig('web', {...TARGET, knownHostsFile: '/home/ana/my"shop/.vm/known_hosts'}))
      expect(sshG(['-F', config, 'web'])).to.include('userknownhostsfile /home/ana/my"shop/.vm/known_hosts')
    })

    it('keeps a % in the project path literal: ssh expands %-tokens in file options', () => {
      const config = join(scratch, 'config-percent')
      writeFileSync(config, renderSshConfig('web', {...TARGET, knownHostsFile: '/home/ana/100%done/.vm/known_hosts'}))
      expect(sshG(['-F', config, 'web'])).to.include('userknownhostsfile /home/ana/100%done/.vm/known_hosts')
    })
  })
})
