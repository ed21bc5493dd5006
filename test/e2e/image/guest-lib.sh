# shellcheck shell=bash
# Helpers to boot the test image the way `vm` boots a cloud image: a qcow2 overlay on the image, a
# NoCloud seed ISO on a virtio-scsi cdrom, a virtio NIC on libvirt's `default` network, TCG.
# Sourced by test/e2e/image/boot-check.sh and bench/raw-floor.sh; not part of the image recipe.
#
# Everything that reaches a guest's address runs inside the network namespace $VM_TEST_NETNS,
# where libvirtd (and so virbr0 and dnsmasq) lives. virsh talks to that libvirtd over its unix
# socket, which works from any namespace.
#
# Environment:
#   VM_TEST_NETNS   namespace that libvirtd runs in (default vmfile-test)
#   LIBVIRT_URI     default qemu:///system

VM_TEST_NETNS=${VM_TEST_NETNS:-vmfile-test}
LIBVIRT_URI=${LIBVIRT_URI:-qemu:///system}
GUEST_POOL_DIR=${GUEST_POOL_DIR:-/var/lib/libvirt/images}
# Readiness waits are long on purpose: TCG guests that share the host's 2 cores are slow.
GUEST_TIMEOUT_S=${GUEST_TIMEOUT_S:-300}

glog() { printf '[%s] %s\n' "${GUEST_LOG_TAG:-guest}" "$*" >&2; }
gvirsh() { virsh -q -c "$LIBVIRT_URI" "$@"; }
innetns() { ip netns exec "$VM_TEST_NETNS" "$@"; }

# Fail early, with the fix, when the namespace, libvirtd or the default network is missing.
guest_check_host() {
  ip netns list | grep -qw "$VM_TEST_NETNS" || {
    glog "network namespace $VM_TEST_NETNS is missing; start libvirtd in it:"
    glog "  ip netns add $VM_TEST_NETNS && ip netns exec $VM_TEST_NETNS ip link set lo up"
    glog "  ip netns exec $VM_TEST_NETNS virtlogd -d && ip netns exec $VM_TEST_NETNS libvirtd -d"
    return 1
  }
  gvirsh version >/dev/null || { glog "libvirtd does not answer on $LIBVIRT_URI"; return 1; }
  # The default network lives in the namespace (its libvirtd does), so starting it is allowed.
  local info
  info=$(gvirsh net-info default) || return 1
  if ! grep -Eq '^Active:[[:space:]]+yes' <<<"$info"; then
    glog "starting libvirt network default (inside $VM_TEST_NETNS)"
    gvirsh net-start default >/dev/null
  fi
}

# guest_prepare NAME IMAGE [HOSTNAME]
# Makes $GUEST_POOL_DIR/NAME/ with keys, known_hosts, seed ISO, a 10G overlay and the domain XML,
# and defines the domain (not started). Sets GUEST_DIR.
guest_prepare() {
  local name=$1 image=$2 hostname=${3:-$1}
  GUEST_DIR="$GUEST_POOL_DIR/$name"
  local d=$GUEST_DIR
  [[ $name == imgtest-* ]] || { glog "refusing name $name"; return 1; }
  rm -rf "$d"
  # libvirt-qemu (the qemu process) must reach the overlay, the ISO and the backing image.
  mkdir -p "$GUEST_POOL_DIR"
  mkdir -m 0711 "$d"

  ssh-keygen -q -t ed25519 -N '' -C "vm@$name" -f "$d/id_ed25519"
  # A pre-made host key goes into the seed so the host can pin it before the first connection
  # (StrictHostKeyChecking=yes, never "accept new").
  ssh-keygen -q -t ed25519 -N '' -C "root@$hostname" -f "$d/host_ed25519"
  # HostKeyAlias makes the pin independent of whichever address DHCP hands out.
  printf '%s %s\n' "$name" "$(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >"$d/known_hosts"

  {
    echo '#cloud-config'
    echo 'users:'
    echo '  - name: vm'
    echo '    sudo: "ALL=(ALL) NOPASSWD:ALL"'
    echo '    shell: /bin/bash'
    echo '    lock_passwd: true'
    echo '    ssh_authorized_keys:'
    echo "      - $(cat "$d/id_ed25519.pub")"
    # With ssh_keys given, cloud-init writes only these and generates no others (RSA key
    # generation alone takes seconds under TCG).
    echo 'ssh_keys:'
    echo '  ed25519_private: |'
    sed 's/^/    /' "$d/host_ed25519"
    echo "  ed25519_public: $(cat "$d/host_ed25519.pub")"
  } >"$d/user-data"
  {
    echo "instance-id: $name-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    echo "local-hostname: $hostname"
  } >"$d/meta-data"
  genisoimage -quiet -output "$d/seed.iso" -volid cidata -joliet -rock \
    "$d/user-data" "$d/meta-data"

  # -F: never let QEMU probe the backing file's format.
  qemu-img create -q -f qcow2 -F qcow2 -b "$image" "$d/overlay.qcow2" 10G

  cat >"$d/domain.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='$d/overlay.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='scsi' model='virtio-scsi'/>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='$d/seed.iso'/>
      <target dev='sda' bus='scsi'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <log file='$d/console.log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
</domain>
EOF
  gvirsh define "$d/domain.xml" >/dev/null
}

# guest_ip NAME -> the address in the network's DHCP lease for the domain's MAC (empty if none yet).
guest_ip() {
  gvirsh domifaddr "$1" --source lease 2>/dev/null \
    | awk '$3 == "ipv4" { sub(/\/.*/, "", $4); print $4; exit }'
}

# guest_ssh NAME IP COMMAND... : inside the namespace, host key pinned, no prompts.
guest_ssh() {
  local name=$1 ip=$2
  shift 2
  innetns ssh -F /dev/null \
    -i "$GUEST_POOL_DIR/$name/id_ed25519" -o IdentitiesOnly=yes \
    -o UserKnownHostsFile="$GUEST_POOL_DIR/$name/known_hosts" -o HostKeyAlias="$name" \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
    "vm@$ip" "$@"
}

# guest_wait_ip NAME -> prints the IP once leased; polls every 250 ms.
guest_wait_ip() {
  local name=$1 ip deadline=$((SECONDS + GUEST_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    ip=$(guest_ip "$name")
    [[ -n $ip ]] && { echo "$ip"; return 0; }
    sleep 0.25
  done
  glog "$name: no DHCP lease after ${GUEST_TIMEOUT_S}s"
  return 1
}

# guest_wait_ssh NAME IP -> returns once `ssh true` succeeds; polls every 250 ms (no busy loop:
# a refused connection returns at once, so the sleep is what paces it).
guest_wait_ssh() {
  local name=$1 ip=$2 deadline=$((SECONDS + GUEST_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    guest_ssh "$name" "$ip" true 2>/dev/null </dev/null && return 0
    sleep 0.25
  done
  glog "$name: no SSH login after ${GUEST_TIMEOUT_S}s"
  return 1
}

# guest_wait_state NAME STATE [TIMEOUT_S]
guest_wait_state() {
  local name=$1 want=$2 deadline=$((SECONDS + ${3:-$GUEST_TIMEOUT_S}))
  while ((SECONDS < deadline)); do
    [[ $(gvirsh domstate "$name" 2>/dev/null) == "$want" ]] && return 0
    sleep 0.25
  done
  return 1
}

# guest_destroy NAME: removes the domain and its directory; safe to call when nothing exists.
guest_destroy() {
  local name=$1
  [[ $name == imgtest-* ]] || return 1
  if gvirsh dominfo "$name" >/dev/null 2>&1; then
    gvirsh destroy "$name" >/dev/null 2>&1 || true
    gvirsh undefine "$name" >/dev/null 2>&1 || true
  fi
  rm -rf "${GUEST_POOL_DIR:?}/$name"
}
