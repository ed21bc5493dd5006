#!/usr/bin/env bash
# How close is vm's image download to curl? In one run, on one file served from 127.0.0.1 by a
# small node server (bench/serve-file.mjs, Range-capable), alternating, RUNS times each:
#   1. curl -sS -o FILE URL                  the reference: no hashing, no fsync
#   2. vm: downloadResumable (dist/)         streams to a part file, sha256 on the way, fsync at the end
# and for context (RUNS times each as well):
#   3. curl -o FILE URL && sync FILE         curl with the same durability as vm
#   4. curl URL | sha256sum                  curl with the same verification as vm (no disk)
# Prints the median wall seconds of each (the whole process, node's start-up included), MiB/s,
# and the ratios vm/curl, vm/(curl+sync) and vm/(curl|sha256sum); vm_inside_s is the time spent
# inside downloadResumable alone (without node's start-up and module loading).
#
# Usage: bench/download-vs-curl.sh   (env: BENCH_SIZE_MIB=1024 BENCH_RUNS=3 BENCH_SHA512=0 BENCH_RATE_MIBPS=0)
# BENCH_RATE_MIBPS caps the server's rate (0: as fast as loopback goes), to compare the two on a
# link slower than the host's CPUs, which is what real downloads are.
# Needs node and curl; no root, no libvirt. Everything lives in one temp dir, removed at the end.
# The server shares the host's CPUs with the client, as a loopback test must: on a small machine
# the numbers are CPU-bound, which is the point (vm's cost per byte, not the network's).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
size_mib=${BENCH_SIZE_MIB:-1024}
runs=${BENCH_RUNS:-3}
export BENCH_SHA512=${BENCH_SHA512:-0}
rate=${BENCH_RATE_MIBPS:-0}
log() { printf 'bench: %s\n' "$*" >&2; }

# Build dist/ when it is missing or older than the sources it runs.
if [[ ! -f $root/dist/box/download.js ]] || [[ -n $(find "$root/src" -name '*.ts' -newer "$root/dist/box/download.js" -print -quit) ]]; then
  log "building dist/"
  (cd "$root" && npx tsc -p tsconfig.json >&2) || log "tsc reported errors (see above); using what it emitted"
fi
[[ -f $root/dist/box/download.js ]] || { log "dist/box/download.js is missing"; exit 1; }

work=$(mktemp -d /tmp/vm-bench-download-XXXXXX)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "creating a ${size_mib} MiB file of random bytes"
head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$work/image"
expected=$(sha256sum "$work/image" | cut -d' ' -f1)

node "$root/bench/serve-file.mjs" "$work/image" "$rate" >"$work/port" &
server_pid=$!
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$work/port")/image"

# Wall seconds of "$@" with millisecond resolution, on stdout.
timed() {
  local t0=$EPOCHREALTIME
  "$@" >/dev/null
  local t1=$EPOCHREALTIME
  local us=$(( ${t1/[.,]/} - ${t0/[.,]/} ))
  printf '%d.%03d\n' $((us / 1000000)) $((us % 1000000 / 1000))
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mibps() { awk -v s="$1" -v m="$size_mib" 'BEGIN {printf "%.0f", m / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# Each run starts with no dirty pages from the one before, so no run pays for another's writeback.
settle() { rm -f "$work/out" "$work/part" "$work/part.json"; sync; sleep 1; }

vm_download() {
  node "$root/bench/vm-download.mjs" "$url" "$work/part" >"$work/vm.json"
  grep -q "\"sha256\":\"$expected\"" "$work/vm.json" || { log "vm's digest is wrong: $(cat "$work/vm.json")"; return 1; }
  sed -E 's/.*"seconds":([0-9.]+).*/\1/' "$work/vm.json" >>"$work/vm_inner.t"
}
curl_sync() { curl -sS -o "$work/out" "$url" && sync "$work/out"; }
curl_sha() { [[ $(curl -sS "$url" | sha256sum | cut -d' ' -f1) == "$expected" ]]; }

: >"$work/curl.t"; : >"$work/vm.t"; : >"$work/vm_inner.t"; : >"$work/curl_sync.t"; : >"$work/curl_sha.t"
for i in $(seq "$runs"); do
  settle; timed curl -sS -o "$work/out" "$url" >>"$work/curl.t"
  settle; timed vm_download >>"$work/vm.t"
  settle; timed curl_sync >>"$work/curl_sync.t"
  settle; timed curl_sha >>"$work/curl_sha.t"
  log "run $i: curl $(tail -n1 "$work/curl.t") s, vm $(tail -n1 "$work/vm.t") s, curl+sync $(tail -n1 "$work/curl_sync.t") s, curl|sha256sum $(tail -n1 "$work/curl_sha.t") s"
done

curl_s=$(median <"$work/curl.t")
vm_s=$(median <"$work/vm.t")
curl_sync_s=$(median <"$work/curl_sync.t")
curl_sha_s=$(median <"$work/curl_sha.t")
echo "file_mib=$size_mib runs=$runs sha512=$BENCH_SHA512 rate_mibps=$rate cpus=$(nproc)"
echo "curl_s=$curl_s curl_mibps=$(mibps "$curl_s")"
echo "vm_s=$vm_s vm_mibps=$(mibps "$vm_s") vm_inside_s=$(median <"$work/vm_inner.t" | xargs printf '%.3f')"
echo "curl_sync_s=$curl_sync_s curl_sync_mibps=$(mibps "$curl_sync_s")"
echo "curl_sha256sum_s=$curl_sha_s curl_sha256sum_mibps=$(mibps "$curl_sha_s")"
echo "vm_over_curl=$(ratio "$vm_s" "$curl_s")"
echo "vm_over_curl_sync=$(ratio "$vm_s" "$curl_sync_s")"
echo "vm_over_curl_sha256sum=$(ratio "$vm_s" "$curl_sha_s")"
