# Shared by the bench scripts (source it): the test namespace's libvirtd, the image, a fresh build,
# and the bench's own pool removed at the end. Expects $root and the script's first argument.

# Sets ns (the test network namespace) and image (the given one, else the e2e test image).
bench_setup() {
  ns=$(bash "$root/test/e2e/host/start-libvirt.sh")
  image=${1:-$(bash "$root/test/e2e/image/build-test-image.sh" | tail -n1)}
  image=$(readlink -f "$image")
  (cd "$root" && npm run --silent build >/dev/null)
}

# The bench's own pool goes too: it only ever holds this run's box.
remove_bench_pool() {
  local v
  for v in $(virsh -c qemu:///system vol-list --pool "$VM_POOL" 2>/dev/null | awk 'NR > 2 && $1 != "" {print $1}'); do
    virsh -c qemu:///system vol-delete --pool "$VM_POOL" "$v" >/dev/null
  done
  virsh -c qemu:///system pool-destroy "$VM_POOL" >/dev/null 2>&1 || true
  virsh -c qemu:///system pool-delete "$VM_POOL" >/dev/null 2>&1 || true
  virsh -c qemu:///system pool-undefine "$VM_POOL" >/dev/null 2>&1 || true
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
