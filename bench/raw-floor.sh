#!/usr/bin/env bash
# The raw floor: how fast can a cloud image be up at all on this host, with no tool in between?
# Times `virsh start` of a ready overlay + seed domain to (1) the first SSH login and (2) cloud-init
# done, so `vm up` can be reported as a ratio of it. Preparing the domain (keys, seed ISO, overlay,
# define) is outside the timing; so is the tear-down.
#
# Usage: bench/raw-floor.sh [IMAGE.qcow2]   (default: the e2e test image, built if needed)
# Prints on stdout:
#   raw_floor_lease_s, raw_floor_ssh_s, raw_floor_cloudinit_s   wall seconds after `virsh start`
#   raw_floor_ssh_qemu_cpu_s   CPU seconds QEMU had used by the first login: TCG guests are CPU
#                              bound, so this moves far less than the wall time when other work
#                              shares the host's cores
#   host_loadavg_1m            the host's load just before the start, to judge the wall numbers
#
# Guest traffic (ssh) runs only inside the network namespace $VM_TEST_NETNS (default vmfile-test),
# where libvirtd, virbr0 and the guests' addresses live. Needs root.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
export GUEST_LOG_TAG=raw-floor
# shellcheck source=SCRIPTDIR/../test/e2e/image/guest-lib.sh
source "$root/test/e2e/image/guest-lib.sh"

image=${1:-}
if [[ -z $image ]]; then
  image=$("$root/test/e2e/image/build-test-image.sh" | tail -n1)
fi
image=$(readlink -f "$image")
[[ -f $image ]] || { glog "no such image: $image"; exit 2; }

guest_check_host

name="imgtest-rawfloor-$$"
trap 'guest_destroy "$name"' EXIT
trap 'exit 130' INT TERM

glog "preparing $name on $(basename "$image")"
guest_prepare "$name" "$image"

# Seconds since $t0 with millisecond resolution, without forking bc/date.
elapsed() {
  local now=${EPOCHREALTIME/[.,]/} start=${t0/[.,]/}
  local us=$((now - start))
  printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000))
}

# CPU seconds (user + system) used so far by the domain's QEMU process.
qemu_cpu() {
  local pid
  pid=$(cat "/run/libvirt/qemu/$name.pid")
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat"
}

load=$(cut -d' ' -f1 /proc/loadavg)
t0=$EPOCHREALTIME
gvirsh start "$name" >/dev/null
ip=$(guest_wait_ip "$name")
lease_s=$(elapsed)
guest_wait_ssh "$name" "$ip"
ssh_s=$(elapsed)
ssh_cpu=$(qemu_cpu)
# --wait polls inside the guest (cheap); its output is progress dots, not wanted here.
ci_status=$(guest_ssh "$name" "$ip" 'cloud-init status --wait' </dev/null | tail -n1 || true)
ci_s=$(elapsed)
[[ $ci_status == 'status: done' ]] || { glog "cloud-init did not finish cleanly: $ci_status"; exit 1; }

glog "lease ${lease_s}s, ssh ${ssh_s}s, cloud-init done ${ci_s}s ($ip)"
printf 'raw_floor_lease_s=%s\nraw_floor_ssh_s=%s\nraw_floor_cloudinit_s=%s\n' \
  "$lease_s" "$ssh_s" "$ci_s"
printf 'raw_floor_ssh_qemu_cpu_s=%s\nhost_loadavg_1m=%s\n' "$ssh_cpu" "$load"
