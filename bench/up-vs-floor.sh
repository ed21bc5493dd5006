#!/usr/bin/env bash
# How close does `vm up` get to the raw floor? In one run, on the same test image and host:
#   1. the raw floor: `virsh start` of a ready overlay + seed domain to its first SSH login and to
#      cloud-init done (bench/raw-floor.sh), with no tool in between;
#   2. `vm up` of a one-machine project (box already cached and imported, as on any second up);
#   3. `vm up` of a two-machine project.
# Prints vm's SSH-ready and cloud-init-done times (from its own milestone lines, measured from
# `virsh start`) and the wall time of the whole command, each as a ratio of the floor.
#
# Usage: sudo bench/up-vs-floor.sh [IMAGE.qcow2]   (default: the e2e test image, built if needed)
# Guest traffic runs only inside the test network namespace; software emulation (TCG).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$root/bench/common.sh"
bench_setup "${1:-}"

work=$(mktemp -d /tmp/vm-bench-XXXXXX)
export VM_HOME=$work/home VM_POOL=vmfile-bench VM_ACCELERATOR=tcg
vm() { ip netns exec "$ns" node "$root/bin/run.js" "$@"; }
cleanup() {
  for p in "$work"/one "$work"/two; do [[ -f $p/Vmfile ]] && (cd "$p" && vm destroy -f >/dev/null 2>&1 || true); done
  remove_bench_pool
  rm -rf "$work"
}
trap cleanup EXIT

# Seconds from the last "<machine>: <milestone> (12.3 s)" line vm printed for MILESTONE.
milestone() { grep -E "^[a-z0-9-]+: $2 \(" "$1" | sed -E 's/.*\(([0-9.]+) s\)$/\1/' | sort -n | tail -n1; }

# A project per run; the box is imported before the timing so that every run starts warm.
project() {
  local dir=$work/$1; shift
  mkdir -p "$dir"
  { printf 'box:\n  url: %s\ncpus: 2\nmemory: 1GiB\ndisk: 6GiB\n' "$image"; [[ $# -gt 0 ]] && printf 'machines:\n' && printf '  %s: {}\n' "$@"; } >"$dir/Vmfile"
  echo "$dir"
}

timed_up() {
  local dir=$1 log=$2 t0 t1
  t0=$EPOCHREALTIME
  (cd "$dir" && vm up >"$log" 2>&1)
  t1=$EPOCHREALTIME
  awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.1f", b - a }'
}

echo "== raw floor (virsh start -> first SSH login)" >&2
eval "$(VM_TEST_NETNS=$ns bash "$root/bench/raw-floor.sh" "$image")"

echo "== warm-up: download and import the box once" >&2
one=$(project one)
(cd "$one" && vm up >/dev/null && vm destroy -f >/dev/null)

echo "== vm up, one machine" >&2
one_wall=$(timed_up "$one" "$work/one.log")
one_ssh=$(milestone "$work/one.log" 'SSH ready')
one_ci=$(milestone "$work/one.log" 'cloud-init done')
(cd "$one" && vm destroy -f >/dev/null)

echo "== vm up, two machines" >&2
two=$(project two alpha beta)
two_wall=$(timed_up "$two" "$work/two.log")
two_ssh=$(milestone "$work/two.log" 'SSH ready')
two_ci=$(milestone "$work/two.log" 'cloud-init done')

printf '%-26s %10s %10s %16s\n' '' 'SSH ready' 'cloud-init' 'vm up (wall)'
printf '%-26s %9ss %9ss %16s\n' 'raw floor (virsh start)' "$raw_floor_ssh_s" "$raw_floor_cloudinit_s" '-'
printf '%-26s %9ss %9ss %15ss\n' 'vm up, 1 machine' "$one_ssh" "$one_ci" "$one_wall"
printf '%-26s %9ss %9ss %15ss\n' 'vm up, 2 machines (last)' "$two_ssh" "$two_ci" "$two_wall"
echo "ratio_one_ssh=$(ratio "$one_ssh" "$raw_floor_ssh_s")"
echo "ratio_one_cloudinit=$(ratio "$one_ci" "$raw_floor_cloudinit_s")"
echo "ratio_one_wall_to_floor_cloudinit=$(ratio "$one_wall" "$raw_floor_cloudinit_s")"
echo "ratio_two_ssh=$(ratio "$two_ssh" "$raw_floor_ssh_s")"
echo "ratio_two_cloudinit=$(ratio "$two_ci" "$raw_floor_cloudinit_s")"
