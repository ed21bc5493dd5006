#!/usr/bin/env bash
# `npm test`: build, unit tests, then end-to-end tests that boot real machines through libvirt
# and QEMU inside a network namespace. `npm test -- unit` (unit and command tests) or `-- e2e`
# runs one part.
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}

npm run --silent build

if [ "$part" = all ] || [ "$part" = unit ]; then
  npx mocha --forbid-only 'test/unit/**/*.test.ts'
  # Command tests run the built CLI with fake virsh and ssh first on PATH.
  npx mocha --forbid-only 'test/commands/**/*.test.ts'
fi

if [ "$part" = all ] || [ "$part" = e2e ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The end-to-end tests need root: they create a network namespace and run libvirtd in it." >&2
    echo "Run \`sudo npm test\` (or \`npm test -- unit\` for the unit tests alone)." >&2
    exit 1
  fi
  ns=$(bash test/e2e/host/start-libvirt.sh)
  image=$(bash test/e2e/image/build-test-image.sh | tail -n1)
  echo "e2e: libvirtd in network namespace $ns, test image $image" >&2
  VM_TEST_IMAGE=$image VM_TEST_NETNS=$ns ip netns exec "$ns" \
    npx mocha --forbid-only --timeout 0 'test/e2e/**/*.test.ts'
fi
