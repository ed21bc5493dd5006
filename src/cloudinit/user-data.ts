import {stringify} from 'yaml'

/** What cloud-init must set up for vm to reach the machine. */
export type UserDataSpec = {
  readonly hostname: string
  /** The login user `vm ssh` uses; gets passwordless sudo. */
  readonly user: string
  /** The project's public key (one line, OpenSSH format). */
  readonly authorizedKey: string
  /** The host key vm generated for this machine, so ssh can check it against a pinned entry. */
  readonly hostKey: {readonly privateKey: string; readonly publicKey: string}
}

/**
 * Renders #cloud-config user-data. Built as data and serialised by the yaml library, so no value
 * can inject keys or commands (a hostname with a newline stays a string).
 */
export function renderUserData(spec: UserDataSpec): string {
  const config = {
    hostname: spec.hostname,
    preserve_hostname: false,
    // Our user only: without "default" the image's own user (debian, ubuntu) is not created.
    users: [
      {
        name: spec.user,
        gecos: 'vm',
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: [spec.authorizedKey.trim()],
      },
    ],
    ssh_pwauth: false,
    disable_root: true,
    // Replace whatever host keys the image has with ours, and generate no others: RSA key
    // generation alone costs seconds under software emulation.
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: {
      ed25519_private: ensureTrailingNewline(spec.hostKey.privateKey),
      ed25519_public: spec.hostKey.publicKey.trim(),
    },
    growpart: {mode: 'auto', devices: ['/']},
    resize_rootfs: true,
  }
  // YAML 1.1 because cloud-init reads 1.1: a machine named `on` or `no` must stay a string.
  return `#cloud-config\n${stringify(config, {lineWidth: 0, version: '1.1'})}`
}

function ensureTrailingNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`
}
