import {parseNameList} from '../libvirt/virsh-parse.js'
import type {Virsh} from '../libvirt/virsh.js'

/** Thin virsh calls for libvirt networks, beside the ones Virsh already has (networkInfo, startNetwork). */

/** The network's XML (live when it runs), or undefined when there is no such network. */
export async function networkXml(virsh: Virsh, name: string): Promise<string | undefined> {
  return virsh.query(['net-dumpxml', name])
}

/** Every network, active or not. */
export async function listNetworks(virsh: Virsh): Promise<string[]> {
  return parseNameList(await virsh.run(['net-list', '--all', '--name']))
}

/** Defines a persistent network from XML. */
export async function defineNetwork(virsh: Virsh, xml: string): Promise<void> {
  await virsh.runWithXmlFile('net-define', xml)
}

/** Starts the network with libvirtd from now on (after a host reboot machines find it running). */
export async function autostartNetwork(virsh: Virsh, name: string): Promise<void> {
  await virsh.run(['net-autostart', name])
}

/** Stops an active network: its bridge and dnsmasq go away. */
export async function destroyNetwork(virsh: Virsh, name: string): Promise<void> {
  await virsh.run(['net-destroy', name])
}

export async function undefineNetwork(virsh: Virsh, name: string): Promise<void> {
  await virsh.run(['net-undefine', name])
}
