#!/usr/bin/env bash
# What issue 4's mechanisms cost, measured in one run on one machine (TCG) with the e2e test image:
#   - a forwarded port (QEMU user-mode hostfwd on a second NIC) against the guest's own address
#     on libvirt's NAT bridge: a 64 MiB HTTP download, and 50 small requests one after another;
#   - a virtiofs folder against the guest's own disk: reading 64 MiB with cold caches, and how long
#     a file written on the host takes to show in the guest;
#   - an rsync folder (tar over ssh): `vm rsync` of 1000 small files, then again unchanged.
# Prints each pair and its ratio.
#
# Usage: sudo bench/environment.sh [IMAGE.qcow2]   (default: the e2e test image, built if needed)
# Guest traffic runs only inside the test network namespace.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$root/bench/common.sh"
bench_setup "${1:-}"

work=$(mktemp -d /tmp/vm-bench-env-XXXXXX)
export VM_HOME=$work/home VM_POOL=vmfile-bench VM_ACCELERATOR=tcg
port=18181
vm() { (cd "$work/project" && ip netns exec "$ns" node "$root/bin/run.js" "$@"); }
inns() { ip netns exec "$ns" "$@"; }
cleanup() {
  vm destroy -f >/dev/null 2>&1 || true
  remove_bench_pool
  rm -rf "$work"
}
trap cleanup EXIT
now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

mkdir -p "$work/project/live" "$work/project/site"
chown 1000:1000 "$work/project/live"
head -c $((64 << 20)) /dev/urandom >"$work/project/live/big"
chown 1000:1000 "$work/project/live/big"
for i in $(seq 1 1000); do head -c 8192 /dev/urandom >"$work/project/site/f$i"; done
cat >"$work/project/Vmfile" <<VMFILE
box:
  url: $image
cpus: 2
memory: 1GiB
disk: 6GiB
folders:
  - {host: ./live, guest: /srv/live, type: virtiofs}
  - {host: ./site, guest: /srv/site}
ports:
  - "127.0.0.1:$port:80"
VMFILE

echo "== vm up" >&2
vm up >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; exit 1; }
ip=$(vm status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ip"])')
vm ssh -- 'sudo systemd-run --unit bench-http --collect python3 -m http.server 80 --directory /srv/live >/dev/null 2>&1'
for _ in $(seq 1 60); do inns curl -s -o /dev/null "http://$ip/" && break; sleep 1; done

echo "== forwarded port against the guest's own address" >&2
download() { inns curl -s -o /dev/null -w '%{time_total}' "$1/big"; }
download "http://$ip" >/dev/null # warm the guest's page cache
direct_dl=$(download "http://$ip")
forward_dl=$(download "http://127.0.0.1:$port")
requests() { local t0; t0=$(now); for _ in $(seq 1 50); do inns curl -s -o /dev/null "$1/"; done; since "$t0"; }
direct_rq=$(requests "http://$ip")
forward_rq=$(requests "http://127.0.0.1:$port")

echo "== virtiofs against the guest's disk" >&2
guest_read() {
  vm ssh -- "sudo sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches' && python3 -c 'import sys, time; t = time.time(); open(sys.argv[1], \"rb\").read(); print(round(time.time() - t, 3))' $1"
}
vm ssh -- 'cp /srv/live/big /var/tmp/big' >/dev/null
disk_read=$(guest_read /var/tmp/big | tail -n1)
fs_read=$(guest_read /srv/live/big | tail -n1)
t0=$(now)
echo seen >"$work/project/live/new.txt"
until vm ssh -- 'test -f /srv/live/new.txt' 2>/dev/null; do :; done
visible=$(since "$t0")
t0=$(now); vm ssh -- true; ssh_floor=$(since "$t0")

echo "== rsync folder" >&2
t0=$(now); vm rsync >/dev/null; rsync_first=$(since "$t0")
t0=$(now); vm rsync >/dev/null; rsync_again=$(since "$t0")

printf '\n%-52s %10s %10s %7s\n' '' 'forward' 'direct' 'ratio'
printf '%-52s %9ss %9ss %7s\n' '64 MiB HTTP download' "$forward_dl" "$direct_dl" "$(ratio "$forward_dl" "$direct_dl")"
printf '%-52s %9ss %9ss %7s\n' '50 HTTP requests in a row' "$forward_rq" "$direct_rq" "$(ratio "$forward_rq" "$direct_rq")"
printf '\n%-52s %10s %10s %7s\n' '' 'virtiofs' 'own disk' 'ratio'
printf '%-52s %9ss %9ss %7s\n' 'guest reads 64 MiB, cold cache' "$fs_read" "$disk_read" "$(ratio "$fs_read" "$disk_read")"
printf '%-52s %9ss %9ss %7s\n' 'host write seen in guest (vs one vm ssh round trip)' "$visible" "$ssh_floor" "$(ratio "$visible" "$ssh_floor")"
printf '\n%-52s %9ss\n' 'vm rsync, 1000 files of 8 KiB (first copy)' "$rsync_first"
printf '%-52s %9ss\n' 'vm rsync, the same files unchanged' "$rsync_again"
