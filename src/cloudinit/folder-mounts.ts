/**
 * Live shared folders (virtiofs, 9p) as cloud-config: `mounts` entries, so each folder is in the
 * guest's fstab and comes back after a reboot, and `bootcmd` entries that create the mount points.
 */

/** A host folder the domain exports under `tag`, to be mounted at `guestPath`. */
export type FolderMount = {
  readonly tag: string
  /** Absolute path in the guest. */
  readonly guestPath: string
  readonly fsType: 'virtiofs' | '9p'
}

/**
 * nofail: a folder that cannot be mounted (the host folder went away, the guest kernel lacks the
 * driver) must not stop the machine from booting, or vm could not reach it to say why.
 * 9p needs the virtio transport named, and 9p2000.L with a larger msize is what makes it usable.
 */
const MOUNT_OPTIONS: Record<FolderMount['fsType'], string> = {
  virtiofs: 'defaults,nofail',
  '9p': 'trans=virtio,version=9p2000.L,msize=262144,nofail',
}

/** cloud-init's `bootcmd` and `mounts` entries for the folders; empty lists when there are none. */
export function folderMountConfig(folders: readonly FolderMount[]): {bootcmd: string[][]; mounts: string[][]} {
  return {
    // Not every cloud-init version creates a missing mount point itself. bootcmd runs on every
    // boot, early in the init stage, before cc_mounts (later in the same stage) writes fstab and
    // runs `mount -a`. cloud-init quotes the argv list form word by word, so a path cannot turn
    // into shell code.
    bootcmd: folders.map((folder) => ['mkdir', '-p', '--', folder.guestPath]),
    // fs_freq and fs_passno 0: nothing to dump, and fsck has nothing to check on a shared folder.
    mounts: folders.map((folder) => [fstabField(folder.tag), fstabField(folder.guestPath), folder.fsType, MOUNT_OPTIONS[folder.fsType], '0', '0']),
  }
}

/**
 * fstab separates fields with white space and reads `\ooo` octal escapes (fstab(5)); cloud-init
 * writes the fields as given, so a guest path with a space would otherwise split into two fields.
 */
function fstabField(text: string): string {
  // ASCII only: an escape stands for one byte, and other characters are several bytes in UTF-8.
  return text.replace(/[ \t\n\v\f\r\\]/g, (ch) => `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`)
}
