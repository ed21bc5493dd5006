#!/usr/bin/env bash
# Gets a Debian or Ubuntu host ready for vm: the host packages it drives (libvirt, QEMU, OpenSSH),
# libvirtd running, and `vm` built and linked onto PATH. Run it from a checkout as yourself (it
# uses sudo for the parts that need root) or as root; it is safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Node 20.19 or newer is required; Debian 13 ships it, older releases need NodeSource or nvm.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
  echo "vm needs Node.js 20.19 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Install it (Debian 13: apt-get install nodejs npm; elsewhere: https://github.com/nodesource/distributions) and run this again." >&2
  exit 1
fi

as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu \
  dnsmasq-base openssh-client xz-utils zstd gzip tar util-linux gpgv

# Without udev (containers), /dev/kvm keeps the kernel's 0600 root, which makes libvirt re-probe
# QEMU on every call; give it the mode udev gives it everywhere else.
if [ -c /dev/kvm ] && [ ! -d /run/udev ] && getent group kvm >/dev/null; then
  as_root chgrp kvm /dev/kvm
  as_root chmod 0660 /dev/kvm
fi

# Without systemd (containers, some CI), nobody starts the daemons for us.
if ! pgrep -x libvirtd >/dev/null && ! pgrep -x virtqemud >/dev/null; then
  if [ -d /run/systemd/system ]; then
    as_root systemctl enable --now libvirtd
  else
    pgrep -x virtlogd >/dev/null || as_root virtlogd -d
    as_root libvirtd -d
  fi
fi

# qemu:///system is for members of the libvirt group; the change applies from the next login.
user=${SUDO_USER:-$(id -un)}
if [ "$user" != root ] && ! id -nG "$user" | grep -qw libvirt; then
  as_root adduser "$user" libvirt
  echo "Added $user to the libvirt group: log out and in again (or run \`newgrp libvirt\`) before \`vm up\`." >&2
fi

npm ci --no-audit --no-fund
npm run build
as_root npm link --no-audit --no-fund
echo "vm is ready: $(command -v vm)"
