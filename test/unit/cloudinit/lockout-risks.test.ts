import {expect} from 'chai'

import {lockoutRiskNotes} from '../../../src/cloudinit/lockout-risks.js'

const risk = (path: string, index: number, what: string) =>
  `write_files.${index} writes ${path} (${what}): this may lock vm out of the machine; vm cannot check it.`

describe('cloudinit/lockout-risks', () => {
  it("notes files that control sshd, sudo, the host keys and vm's user's ~/.ssh, however the path is spelt", () => {
    const paths = [
      '/etc/ssh/sshd_config',
      '/etc/ssh/sshd_config.d/50-no-keys.conf',
      '/etc//ssh/./sshd_config',
      '/etc/ssh/ssh_host_ed25519_key',
      '/etc/sudoers',
      '/etc/sudoers.d/90-cloud-init-users',
      '/home/vm/.ssh/authorized_keys',
      '/home/vm/x/../.ssh/authorized_keys',
    ]
    expect(lockoutRiskNotes({write_files: paths.map((path) => ({path, content: 'x'}))}, ['vm'])).to.deep.equal([
      risk(paths[0]!, 0, "sshd's configuration"),
      risk(paths[1]!, 1, "sshd's configuration"),
      risk(paths[2]!, 2, "sshd's configuration"),
      risk(paths[3]!, 3, 'an SSH host key, which vm pins'),
      risk(paths[4]!, 4, "sudo's configuration"),
      risk(paths[5]!, 5, "sudo's configuration"),
      risk(paths[6]!, 6, 'the SSH files of vm\'s user "vm"'),
      risk(paths[7]!, 7, 'the SSH files of vm\'s user "vm"'),
    ])
  })

  it('says nothing about other files or malformed entries', () => {
    const writeFiles = ['/etc/ssh/ssh_config', '/etc/ssh/moduli', '/home/bob/.ssh/authorized_keys', '/home/vmx/.ssh/k', '/etc/motd', '/root/.ssh/authorized_keys'].map(
      (path) => ({path}),
    )
    expect(lockoutRiskNotes({write_files: [...writeFiles, 'x', {content: 'no path'}, {path: 7}]}, ['vm'])).to.deep.equal([])
    expect(lockoutRiskNotes({write_files: 'not a list', runcmd: [['rm', '/home/vm/.ssh/authorized_keys']]}, ['vm'])).to.deep.equal([])
  })

  it('notes a cloud_init_modules list without the modules that set up the login', () => {
    expect(lockoutRiskNotes({cloud_init_modules: ['bootcmd', 'ssh']}, ['vm'])).to.deep.equal([
      "cloud_init_modules leaves out users_groups: without them cloud-init does not set up vm's user and host key, and vm cannot log in.",
    ])
    expect(lockoutRiskNotes({cloud_init_modules: 'users-groups'}, ['vm'])).to.deep.equal([
      "cloud_init_modules leaves out users_groups and ssh: without them cloud-init does not set up vm's user and host key, and vm cannot log in.",
    ])
  })

  it('accepts module lists that keep them, however they are spelt, and ignores the other lists', () => {
    expect(lockoutRiskNotes({cloud_init_modules: ['users-groups', ['cc_ssh', 'always']]}, ['vm'])).to.deep.equal([])
    expect(lockoutRiskNotes({cloud_init_modules: ['bootcmd', 'users_groups', 'ssh']}, ['vm'])).to.deep.equal([])
    expect(lockoutRiskNotes({cloud_config_modules: ['runcmd'], cloud_final_modules: []}, ['vm'])).to.deep.equal([])
  })
})
