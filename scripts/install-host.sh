#!/usr/bin/env bash
# Gets a Debian or Ubuntu host ready for vm: the host packages it drives (libvirt, QEMU, OpenSSH),
# libvirtd running, and `vm` built and linked onto PATH. Run it as root from a checkout
# (sudo ./scripts/install-host.sh); it is safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "Run as root: sudo $0" >&2
  exit 1
fi

# Node 20.19 or newer is required; Debian 13 ships it, older releases need NodeSource or nvm.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
  echo "vm needs Node.js 20.19 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Install it (Debian 13: apt-get install nodejs npm; elsewhere: https://github.com/nodesource/distributions) and run this again." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu \
  dnsmasq-base openssh-client

# Without systemd (containers, some CI), nobody starts the daemons for us.
if ! pgrep -x libvirtd >/dev/null && ! pgrep -x virtqemud >/dev/null; then
  if [ -d /run/systemd/system ]; then
    systemctl enable --now libvirtd
  else
    pgrep -x virtlogd >/dev/null || virtlogd -d
    libvirtd -d
  fi
fi

# The user who ran sudo may use qemu:///system without sudo after logging in again.
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && ! id -nG "$SUDO_USER" | grep -qw libvirt; then
  adduser "$SUDO_USER" libvirt
  echo "Added $SUDO_USER to the libvirt group: log out and in again (or run \`newgrp libvirt\`)." >&2
fi

npm ci --no-audit --no-fund
npm run build
npm link --no-audit --no-fund
echo "vm is ready: $(command -v vm)"
