import type {UserDataSpec} from '../../../src/cloudinit/user-data.js'

/** Key texts shaped like OpenSSH's (not real keys). */
export const PROJECT_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIProjectKeyProjectKeyProjectKeyProjectKey00 vm project /home/ana/shop'
export const HOST_PRIVATE_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACDfakefakefakefakefakefakefakefakefakefakefakefakeAAAA',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n')
export const HOST_PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKey0000 web host key'

/** What the create step passes: ssh-keygen's files end in a newline, the private key's without one here. */
export const TYPICAL: UserDataSpec = {
  hostname: 'web',
  user: 'vm',
  authorizedKey: `${PROJECT_KEY}\n`,
  hostKey: {privateKey: HOST_PRIVATE_KEY, publicKey: `${HOST_PUBLIC_KEY}\n`},
}
