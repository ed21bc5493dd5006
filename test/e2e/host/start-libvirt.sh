#!/usr/bin/env bash
# Makes sure a libvirtd runs inside a network namespace of its own and prints that namespace's
# name. Guests, virbr0 and dnsmasq then live only in that namespace: this machine's rules allow
# traffic to guest addresses only there. A libvirtd already running in a namespace is reused;
# one running in the main namespace is refused rather than used.
set -euo pipefail

ns=${VM_TEST_NETNS:-vmfile-test}
socket=/var/run/libvirt/libvirt-sock

# Without udev, /dev/kvm keeps the kernel's 0600 root. libvirt probes QEMU with KVM, then finds
# the qemu user cannot open /dev/kvm and throws its capability cache away on EVERY call: each
# `virsh capabilities` or `define` then re-probes QEMU for seconds, and concurrent calls pile up
# behind the cache lock. Give the device the mode udev gives it on any Debian host.
if [ -c /dev/kvm ] && getent group kvm >/dev/null; then
  chgrp kvm /dev/kvm
  chmod 0660 /dev/kvm
fi

# A libvirtd that was just stopped may linger as a zombie until init reaps it: only a live one counts.
if pid=$(pgrep -x -r R,S,D,T libvirtd | head -n1); then
  running_ns=$(ip netns identify "$pid" || true)
  if [ -z "$running_ns" ]; then
    echo "libvirtd (pid $pid) runs in the main network namespace; the end-to-end tests need it inside a" >&2
    echo "namespace of their own. Stop it and run this script again to start one in namespace $ns." >&2
    exit 1
  fi
  echo "$running_ns"
  exit 0
fi

[ -e "/var/run/netns/$ns" ] || ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
# virtlogd writes the guests' serial console logs; it needs no network, any namespace will do.
pgrep -x virtlogd >/dev/null || ip netns exec "$ns" virtlogd -d
ip netns exec "$ns" libvirtd -d
for _ in $(seq 1 100); do
  [ -S "$socket" ] && virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.1
done
virsh -c qemu:///system version >/dev/null
echo "$ns"
