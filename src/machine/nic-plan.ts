/**
 * Which NICs a machine gets and how the guest configures them. The first NIC is always on the
 * management network (libvirt's `default`, or `network:`): vm finds the machine's address in
 * its DHCP leases. After it, in this order: the project's private network, a host bridge, and
 * the user-mode NIC that carries forwarded ports. Pure: the MACs come from the caller.
 */
import {renderNetworkConfig, type NicConfig} from '../cloudinit/network-config.js'
import type {ExtraInterface} from '../libvirt/domain-xml.js'
import type {PrivateNetworkPlan} from '../network/private-network.js'
import {FORWARD_GUEST_IP, FORWARD_PREFIX_LENGTH, forwardNetdevArgs} from '../ports/qemu-args.js'
import type {MachineConfig} from '../vmfile/types.js'

export type NicPlan = {
  readonly extraInterfaces: ExtraInterface[]
  readonly qemuArgs: string[]
  /** Only when there is more than one NIC: with one, cloud-init's fallback (DHCP on it) is right. */
  readonly networkConfig?: string
}

export function planNics(
  machine: Pick<MachineConfig, 'ports' | 'bridge' | 'privateNetwork'>,
  managementMac: string,
  privateNetwork: PrivateNetworkPlan | undefined,
  newMac: () => string,
): NicPlan {
  const extraInterfaces: ExtraInterface[] = []
  const nics: NicConfig[] = [{id: 'management', mac: managementMac, dhcp4: true}]
  if (machine.privateNetwork && privateNetwork) {
    const mac = newMac()
    extraInterfaces.push({kind: 'network', network: privateNetwork.name, mac})
    nics.push(
      machine.privateNetwork.kind === 'static'
        ? {id: 'private', mac, addresses: [`${machine.privateNetwork.ip}/${privateNetwork.prefixLength}`]}
        : {id: 'private', mac, dhcp4: true},
    )
  }
  if (machine.bridge) {
    const mac = newMac()
    extraInterfaces.push({kind: 'bridge', bridge: machine.bridge, mac})
    nics.push({id: 'bridge', mac, dhcp4: true})
  }
  let qemuArgs: string[] = []
  if (machine.ports.length > 0) {
    const mac = newMac()
    qemuArgs = forwardNetdevArgs(machine.ports, mac)
    // Static and without a gateway: this NIC only receives forwarded connections; the
    // management NIC keeps the default route.
    nics.push({id: 'forwards', mac, addresses: [`${FORWARD_GUEST_IP}/${FORWARD_PREFIX_LENGTH}`]})
  }
  return {extraInterfaces, qemuArgs, ...(nics.length > 1 ? {networkConfig: renderNetworkConfig(nics)} : {})}
}
