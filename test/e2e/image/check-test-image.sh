#!/usr/bin/env bash
# Smoke test of the e2e test image, booted the way `vm` boots a cloud image (see guest-lib.sh):
# DHCP lease, SSH with a pinned host key, hostname from meta-data, passwordless sudo, root grown to
# the overlay's 10G, `cloud-init status` done, ACPI shutdown, and data kept across a restart.
#
# Usage: test/e2e/image/check-test-image.sh [IMAGE.qcow2]  (default: build-test-image.sh's image)
# Exit 0 when every check passes. Guest traffic only inside $VM_TEST_NETNS. Needs root.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
export GUEST_LOG_TAG=check-test-image
# shellcheck source=SCRIPTDIR/guest-lib.sh
source "$here/guest-lib.sh"

image=${1:-$("$here/build-test-image.sh" | tail -n1)}
image=$(readlink -f "$image")
[[ -f $image ]] || { glog "no such image: $image"; exit 2; }

guest_check_host

name="imgtest-check-$$"
host="imgtest-host-$$"
trap 'guest_destroy "$name"' EXIT
trap 'exit 130' INT TERM

failures=0
pass() { glog "ok   $*"; }
fail() { glog "FAIL $*"; failures=$((failures + 1)); }
# check MESSAGE COMMAND...: pass or fail on the command's status.
check() {
  local msg=$1
  shift
  if "$@"; then pass "$msg"; else fail "$msg"; fi
}
# since T0: seconds (one decimal) since an $EPOCHREALTIME value, without forking.
since() {
  local us=$((${EPOCHREALTIME/[.,]/} - ${1/[.,]/}))
  printf '%d.%01d' $((us / 1000000)) $((us % 1000000 / 100000))
}

guest_prepare "$name" "$image" "$host"
t0=$EPOCHREALTIME
gvirsh start "$name" >/dev/null
ip=$(guest_wait_ip "$name")
glog "lease $ip after $(since "$t0")s"
mac=$(gvirsh domiflist "$name" | awk '{print $5; exit}')
leases=$(gvirsh net-dhcp-leases default --mac "$mac")
check "DHCP lease in net-dhcp-leases default ($mac -> $ip)" grep -q "$ip/" <<<"$leases"

guest_wait_ssh "$name" "$ip"
pass "ssh with pinned host key after $(since "$t0")s"
gssh() { guest_ssh "$name" "$ip" "$@" </dev/null; }

ci=$(gssh 'cloud-init status --wait' | tail -n1 || true)
check "cloud-init: '$ci' after $(since "$t0")s" test "$ci" = 'status: done'
got=$(gssh hostname)
check "hostname '$got' (want '$host')" test "$got" = "$host"
check "passwordless sudo" gssh 'sudo -n true'
root_kib=$(gssh "df -k --output=size / | tail -n1" | tr -d ' ')
# 10 GiB overlay, minus the 1 MiB offset and ext4's own overhead.
check "root grown to $((root_kib / 1024)) MiB" test "$root_kib" -gt $((9 * 1024 * 1024))
nic=$(gssh "ip -o -4 addr show scope global | awk '{print \$2; exit}'")
glog "NIC name: $nic"
blame=$(gssh 'sudo cloud-init analyze blame 2>/dev/null | head -n 8' || true)
glog "cloud-init analyze blame (top):"$'\n'"$blame"

marker="persist-$RANDOM$RANDOM"
gssh "echo $marker | sudo tee /var/tmp/marker >/dev/null && sync"

# ACPI power button: systemd-logind must turn it into a clean poweroff. About 5-10 s under TCG;
# 30 s leaves room for a busy host, and is still far from a guest that ignores the button.
t1=$EPOCHREALTIME
gvirsh shutdown "$name" >/dev/null
if guest_wait_state "$name" 'shut off' 30; then
  pass "ACPI shutdown: shut off after $(since "$t1")s"
else
  fail "ACPI shutdown: still $(gvirsh domstate "$name") after 30s"
  gvirsh destroy "$name" >/dev/null || true
fi

t2=$EPOCHREALTIME
gvirsh start "$name" >/dev/null
ip=$(guest_wait_ip "$name")
guest_wait_ssh "$name" "$ip"
glog "second boot: ssh after $(since "$t2")s"
got=$(gssh 'cat /var/tmp/marker')
check "data survived shutdown and start ('$got')" test "$got" = "$marker"
ci=$(gssh 'cloud-init status --wait' | tail -n1 || true)
check "second boot cloud-init: '$ci'" test "$ci" = 'status: done'

if ((failures)); then
  glog "$failures check(s) failed; end of the console log:"
  tail -n 40 "$GUEST_DIR/console.log" >&2 || true
  exit 1
fi
glog "all checks passed"
