import {stringify} from 'yaml'

import {folderMountConfig, type FolderMount} from './folder-mounts.js'
import {mergeUserConfig} from './merge-user-config.js'

/** What cloud-init must set up for vm to reach the machine, and what the user adds. */
export type UserDataSpec = {
  readonly hostname: string
  /** The login user `vm ssh` uses; gets passwordless sudo. */
  readonly user: string
  /** The project's public key (one line, OpenSSH format). */
  readonly authorizedKey: string
  /** The host key vm generated for this machine, so ssh can check it against a pinned entry. */
  readonly hostKey: {readonly privateKey: string; readonly publicKey: string}
  /** The user's own cloud-config (the Vmfile's `cloud_init`), merged in by mergeUserConfig. */
  readonly userConfig?: Readonly<Record<string, unknown>>
  /** Live shared folders, mounted through fstab. */
  readonly mounts?: readonly FolderMount[]
}

/**
 * The cloud-config as data: vm's own, merged with the user's when there is one. `notes` say
 * what of the user's config vm ignored or could not judge, for the user to read. Pure.
 */
export function buildUserConfig(spec: UserDataSpec): {config: Record<string, unknown>; notes: string[]} {
  const ours = vmConfig(spec)
  return spec.userConfig === undefined ? {config: ours, notes: []} : mergeUserConfig(ours, spec.userConfig)
}

/**
 * Renders #cloud-config user-data. Built as data and serialised by the yaml library, so no value
 * can inject keys or commands (a hostname with a newline stays a string).
 */
export function renderUserData(spec: UserDataSpec): string {
  return renderCloudConfig(buildUserConfig(spec).config)
}

/** Serialises a cloud-config with the `#cloud-config` line cloud-init looks for. */
export function renderCloudConfig(config: Readonly<Record<string, unknown>>): string {
  // YAML 1.1 because cloud-init reads 1.1: a machine named `on` or `no` must stay a string.
  // No anchors/aliases for objects that occur twice (a user's YAML aliases): plain copies are
  // easier to read in the seed, and nothing depends on them being shared.
  return `#cloud-config\n${stringify(config, {lineWidth: 0, version: '1.1', aliasDuplicateObjects: false})}`
}

/** vm's own config: what it needs to log in, pin the host key, and mount the shared folders. */
function vmConfig(spec: UserDataSpec): Record<string, unknown> {
  const config: Record<string, unknown> = {
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
    // Replace whatever host keys the image has with ours. cc_ssh generates keys only when no
    // ssh_keys are given, so no other types appear (RSA generation alone costs seconds under
    // TCG); ssh_genkeytypes: [] said so too, but cloud-init's schema refuses an empty list.
    ssh_deletekeys: true,
    ssh_keys: {
      ed25519_private: ensureTrailingNewline(spec.hostKey.privateKey),
      ed25519_public: spec.hostKey.publicKey.trim(),
    },
    growpart: {mode: 'auto', devices: ['/']},
    resize_rootfs: true,
  }
  if (spec.mounts !== undefined && spec.mounts.length > 0) Object.assign(config, folderMountConfig(spec.mounts))
  return config
}

function ensureTrailingNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`
}
