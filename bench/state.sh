#!/usr/bin/env bash
# What issue 5's ways back to a running machine cost against a plain boot, measured in one run on
# one machine (TCG) with the e2e test image, each until `vm ssh -- true` succeeds:
#   - `vm halt` then `vm up` (a boot, to cloud-init done) against `vm suspend` then `vm resume`
#     (managed save: the memory comes back from disk);
#   - `vm snapshot restore` of a running snapshot against the same `vm up`;
#   - the rollback of a failed first `up` (VM_TEST_FAULT_AFTER=start) and of a Ctrl-C while booting;
#   - the project lock: `vm halt` of a halted machine (lock + one libvirt query) against `vm status`.
# Prints each pair and its ratio.
#
# Usage: sudo bench/state.sh [IMAGE.qcow2]   (default: the e2e test image, built if needed)
# Guest traffic runs only inside the test network namespace.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$root/bench/common.sh"
bench_setup "${1:-}"

work=$(mktemp -d /tmp/vm-bench-state-XXXXXX)
export VM_HOME=$work/home VM_POOL=vmfile-bench VM_ACCELERATOR=tcg
vm() { (cd "$work/project" && ip netns exec "$ns" node "$root/bin/run.js" "$@"); }
cleanup() {
  vm destroy -f >/dev/null 2>&1 || true
  remove_bench_pool
  rm -rf "$work"
}
trap cleanup EXIT
now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# Until SSH answers (a resumed or restored machine needs a moment for its network).
until_ssh() { for _ in $(seq 1 240); do vm ssh -- true >/dev/null 2>&1 && return 0; sleep 0.25; done; return 1; }
quiet() { "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; return 1; }; }

mkdir -p "$work/project"
printf 'box:\n  url: %s\ncpus: 2\nmemory: 1GiB\n' "$image" >"$work/project/Vmfile"

echo "== rollback of a failed first up, and of a Ctrl-C while booting" >&2
t=$(now); VM_TEST_FAULT_AFTER=start vm up >/dev/null 2>&1 || true; fault=$(since "$t")
(cd "$work/project" && ip netns exec "$ns" node "$root/bin/run.js" up >"$work/int.log" 2>&1) &
pid=$!
for _ in $(seq 1 400); do grep -q 'booting' "$work/int.log" && break; sleep 0.05; done
# Only the vm process this script started (pgrep -f matches its command line).
t=$(now); kill -INT "$(pgrep -f "^node $root/bin/run.js up" | head -n1)"
wait $pid || true; interrupt=$(since "$t")

echo "== vm up (first), then halt + up" >&2
quiet vm up
quiet vm halt
t=$(now); quiet vm up; until_ssh; boot=$(since "$t")

echo "== suspend + resume" >&2
t=$(now); quiet vm suspend; suspend=$(since "$t")
t=$(now); quiet vm resume; until_ssh; resume=$(since "$t")

echo "== snapshot save + restore (running)" >&2
t=$(now); quiet vm snapshot save bench; save=$(since "$t")
t=$(now); quiet vm snapshot restore bench; until_ssh; restore=$(since "$t")

echo "== the lock's cost" >&2
quiet vm halt
t=$(now); for _ in 1 2 3 4 5; do quiet vm status; done; status=$(since "$t")
t=$(now); for _ in 1 2 3 4 5; do quiet vm halt; done; locked=$(since "$t")

printf '\n%-58s %8s %8s %7s\n' "" "this" "against" "ratio"
printf '%-58s %7ss %7ss %7s\n' "resume to SSH vs. up of a halted machine to SSH" "$resume" "$boot" "$(ratio "$resume" "$boot")"
printf '%-58s %7ss %7ss %7s\n' "snapshot restore to SSH vs. up of a halted machine" "$restore" "$boot" "$(ratio "$restore" "$boot")"
printf '%-58s %7ss %7ss %7s\n' "5x halt of a halted machine (lock) vs. 5x status" "$locked" "$status" "$(ratio "$locked" "$status")"
printf '%-58s %7ss\n' "suspend (1 GiB guest)" "$suspend"
printf '%-58s %7ss\n' "snapshot save (running, memory included)" "$save"
printf '%-58s %7ss\n' "failed first up, fault after start, rolled back (total)" "$fault"
printf '%-58s %7ss\n' "Ctrl-C while booting until vm exited, all removed" "$interrupt"
