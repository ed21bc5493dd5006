#!/usr/bin/env bash
# Builds the minimal Debian 12 (bookworm) cloud image that the end-to-end tests boot, offline from
# Debian's packages, and prints its absolute path as the last line on stdout (progress goes to
# stderr).
#
# The image imitates Debian's own genericcloud images where the tool can tell the difference
# (cloud-init with NoCloud, growpart/resizefs, the cloud kernel, ifupdown + DHCP, serial console,
# host keys made on first boot) and is trimmed where that only costs boot time under TCG.
#
# The result is cached as $VM_TEST_IMAGE_CACHE/debian12-test-<hash>.qcow2, where <hash> covers this
# file (the whole recipe lives here), so an edit rebuilds and an unchanged recipe returns at once.
# Downloaded .debs are kept in $VM_TEST_IMAGE_CACHE/debs so a rebuild needs no network.
#
# Needs root and: mmdebstrap, extlinux, syslinux-common, qemu-utils, e2fsprogs, fdisk, util-linux.
#
# Environment:
#   VM_TEST_IMAGE_CACHE   cache directory (default /var/cache/vmfile-test)
#   VM_TEST_IMAGE_MIRROR  Debian mirror (default: the one this host's apt sources use)
set -euo pipefail

log() { printf '[build-test-image %5ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

self=$(readlink -f "${BASH_SOURCE[0]}")
cache=${VM_TEST_IMAGE_CACHE:-/var/cache/vmfile-test}
suite=bookworm
disk_size_mib=2048
part_start_mib=1   # partition at 1 MiB, the usual alignment; extlinux needs the gap before it free

hash=$(sha256sum "$self" | cut -c1-16)
name="debian12-test-$hash.qcow2"
out="$cache/$name"

# Fast path: no root, no lock needed to answer for an image that already exists (it only ever
# appears by an atomic rename of a finished build).
if [[ -f $out ]]; then
  log "cached: $out"
  printf '%s\n' "$out"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (loop devices, mount, chroot)"
for tool in mmdebstrap extlinux qemu-img sfdisk mkfs.ext4 losetup blkid; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
mbr_bin=/usr/lib/syslinux/mbr/mbr.bin
[[ -r $mbr_bin ]] || die "missing $mbr_bin (install syslinux-common)"

# The mirror the host itself uses is the one known to be reachable. Reads deb822 (URIs:) and
# one-line (deb URI ...) sources; skips comments and the -security/-updates archives.
detect_mirror() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null \
    | grep -v '^[[:space:]]*#' \
    | grep -oE 'https?://[^][:space:]]+/debian/?([[:space:]]|$)' \
    | tr -d '[:space:]' | sed -E 's,/$,,' \
    | head -n1
}
mirror=${VM_TEST_IMAGE_MIRROR:-$(detect_mirror || true)}
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache"
# Two test runs may ask at once: one builds, the other waits and then takes the result.
exec 9>"$cache/.build.lock"
flock 9
if [[ -f $out ]]; then
  log "cached (built while waiting): $out"
  printf '%s\n' "$out"
  exit 0
fi

# Build next to the cache so the final rename is atomic (same file system).
tmp=$(mktemp -d "$cache/.build.XXXXXX")
chmod 0755 "$tmp" # apt's _apt user must reach the target's lists/ for a sandboxed download
rootfs="$tmp/rootfs"
mnt="$tmp/mnt"
loop=
cleanup() {
  local rc=$?
  local m
  for m in "$mnt" "$rootfs"; do
    # mmdebstrap unmounts its own /proc etc., but not after a failure in our later steps.
    if mountpoint -q "$m" 2>/dev/null; then umount -R "$m" 2>/dev/null || umount -lR "$m" || true; fi
  done
  if [[ -n $loop ]]; then losetup -d "$loop" 2>/dev/null || true; fi
  rm -rf "$tmp"
  [[ $rc -eq 0 ]] || log "build failed (exit $rc); nothing was cached"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building $name from $mirror"

# --- root file system ---------------------------------------------------------------------------
# Built on a tmpfs: dpkg's many fsyncs cost nothing there, and the disk image later gets only the
# final files (no freed blocks holding apt's downloads to trim or compress).
mkdir "$rootfs" "$mnt"
mount -t tmpfs -o size=3G,mode=0755 vmfile-test-rootfs "$rootfs"
packages=(
  systemd systemd-sysv udev dbus
  cloud-init cloud-guest-utils e2fsprogs
  openssh-server sudo
  linux-image-cloud-amd64 initramfs-tools zstd
  iproute2 ifupdown isc-dhcp-client netbase
  locales
)
mkdir -p "$cache/debs"
mkdir "$tmp/debs"
log "mmdebstrap ($suite, ${#packages[@]} packages + dependencies)"
# - No docs, man pages or translations: nothing in the tests reads them and they are ~25% of the
#   image. /usr/share/i18n stays: locale-gen needs it.
# - initramfs: MODULES=dep cannot see the target's disk from a chroot, so list what the cloud kernel
#   needs for a virtio root; a small initramfs is quicker to unpack under TCG than MODULES=most.
# - .debs are synced in from and out to the cache, so only new or changed packages are downloaded.
# The hooks' "$1" (the target) is expanded by mmdebstrap's shell, hence the single quotes.
# shellcheck disable=SC2016
mmdebstrap \
  --variant=minbase \
  --mode=root \
  --format=directory \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --skip=download/empty \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
  --setup-hook="sync-in '$cache/debs' /var/cache/apt/archives" \
  --essential-hook='mkdir -p "$1"/etc/initramfs-tools/conf.d' \
  --essential-hook='printf "MODULES=list\nCOMPRESS=zstd\n" > "$1"/etc/initramfs-tools/conf.d/vmfile-test.conf' \
  --essential-hook='printf "%s\n" virtio_pci virtio_blk virtio_scsi sd_mod ext4 > "$1"/etc/initramfs-tools/modules' \
  --customize-hook="sync-out /var/cache/apt/archives '$tmp/debs'" \
  "$suite" "$rootfs" "deb $mirror $suite main" >&2

log "configuring the image"
kver=$(find "$rootfs/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n1)
kver=${kver#vmlinuz-}
[[ -f $rootfs/boot/initrd.img-$kver ]] || die "no initramfs for $kver"

# cloud-init's locale module wants en_US.UTF-8 generated (else `cloud-init status` says error);
# /etc/default/locale already naming it spares a locale-gen run on every first boot.
echo 'en_US.UTF-8 UTF-8' >"$rootfs/etc/locale.gen"
chroot "$rootfs" locale-gen >&2
echo 'LANG=en_US.UTF-8' >"$rootfs/etc/default/locale"

# Only NoCloud (seed ISO labelled cidata) is probed: the default list walks every cloud's
# datasource, and the network ones time out one after another under TCG.
# grub-dpkg only records GRUB's install device; this image boots with extlinux and has no GRUB,
# and the module costs more than a second per first boot.
cat >"$rootfs/etc/cloud/cloud.cfg.d/90_vmfile_test.cfg" <<'EOF'
datasource_list: [NoCloud, None]
grub_dpkg:
  enabled: false
EOF
# growpart and resizefs must be in the stock module list: they are what grows the root to the
# overlay's size on first boot.
for module in growpart resizefs; do
  grep -Eq "^[[:space:]]*-[[:space:]]*$module([[:space:]]|$)" "$rootfs/etc/cloud/cloud.cfg" \
    || die "cloud.cfg does not run $module"
done

# With no network-config, cloud-init renders DHCP on the first NIC for ifupdown
# (/etc/network/interfaces.d/50-cloud-init, sourced below); that also holds for datasource None.
# dhclient's 60 s default would hold networking.service (and with it cloud-init's later stages)
# for a minute when there is no DHCP server; 20 s is plenty for libvirt's dnsmasq.
cat >"$rootfs/etc/network/interfaces" <<'EOF'
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback
EOF
sed -i -E 's/^#?timeout [0-9]+;/timeout 20;/' "$rootfs/etc/dhcp/dhclient.conf"
grep -q '^timeout 20;' "$rootfs/etc/dhcp/dhclient.conf" || echo 'timeout 20;' >>"$rootfs/etc/dhcp/dhclient.conf"

# Timers and boot services that only cost CPU on a short-lived TCG guest.
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  e2scrub_reap.service fstrim.timer; do
  if [[ -e $rootfs/lib/systemd/system/$unit ]]; then
    chroot "$rootfs" systemctl disable "$unit" >/dev/null 2>&1 || true
    chroot "$rootfs" systemctl mask "$unit" >/dev/null 2>&1
  fi
done

# Every guest must get its own identity on first boot: host keys (cloud-init writes the seed's
# or generates new ones) and machine-id (an empty file makes systemd generate one and counts as
# first boot).
rm -f "$rootfs"/etc/ssh/ssh_host_*
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
echo localhost >"$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
rm -rf "$rootfs"/var/lib/cloud/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/var/cache/debconf/*-old

# --- disk: MBR, one bootable ext4 partition at 1 MiB, extlinux ----------------------------------
uuid=$(cat /proc/sys/kernel/random/uuid)
# fsck pass 0: checking a fresh, cleanly built root sits on the boot's critical path (initramfs,
# then systemd-fsck-root) and buys nothing for a disposable test guest.
cat >"$rootfs/etc/fstab" <<EOF
UUID=$uuid / ext4 defaults,discard,errors=remount-ro 0 0
EOF
# Real file names, not /vmlinuz symlinks: nothing in the guest updates this file, and a test image
# never upgrades its kernel.
mkdir -p "$rootfs/boot/extlinux"
cat >"$rootfs/boot/extlinux/extlinux.conf" <<EOF
DEFAULT debian
PROMPT 0
TIMEOUT 0
LABEL debian
  LINUX /boot/vmlinuz-$kver
  INITRD /boot/initrd.img-$kver
  APPEND root=UUID=$uuid ro console=tty0 console=ttyS0,115200n8
EOF

log "writing the disk"
raw="$tmp/disk.raw"
truncate -s "${disk_size_mib}M" "$raw"
printf 'label: dos\nstart=%dMiB, type=83, bootable\n' "$part_start_mib" | sfdisk -q "$raw" >&2
# No udev on the host, so losetup -P would make no partition nodes: map the partition by offset.
loop=$(losetup -f --show -o $((part_start_mib * 1024 * 1024)) \
  --sizelimit $(((disk_size_mib - part_start_mib) * 1024 * 1024)) "$raw")
# -d copies the tree in (owners, modes, hard links, xattrs) without a mount. orphan_file is new in
# e2fsprogs 1.47 and unknown to older e2fsck and boot loaders; the rest is Debian's default ext4.
mkfs.ext4 -q -L root -U "$uuid" -O ^orphan_file -d "$rootfs" "$loop" >&2
umount "$rootfs"
mount "$loop" "$mnt"
extlinux --install "$mnt/boot/extlinux" >&2
umount "$mnt"
losetup -d "$loop"
loop=
# mbr.bin boots the partition marked bootable (extlinux's volume boot record).
dd if="$mbr_bin" of="$raw" bs=440 count=1 conv=notrunc status=none

# --- qcow2 -----------------------------------------------------------------------------------
log "compressing to qcow2"
# -m/-W: compress clusters in parallel, written out of order.
qemu-img convert -c -m 4 -W -f raw -O qcow2 "$raw" "$tmp/$name"
sync -f "$tmp/$name"
mv -f "$tmp/$name" "$out"

# Keep only the debs this build used, and only the current image.
rm -rf "$cache/debs.old"
mv "$cache/debs" "$cache/debs.old" && mv "$tmp/debs" "$cache/debs" && rm -rf "$cache/debs.old"
for old in "$cache"/debian12-test-*.qcow2; do
  [[ $old == "$out" ]] || rm -f "$old"
done

log "built $out ($(du -h --apparent-size "$out" | cut -f1), kernel $kver)"
printf '%s\n' "$out"
