/**
 * What of a machine's Vmfile entry is fixed when the machine is created (its NICs, port
 * forwards and live folders live in the libvirt definition) and has changed since: said on
 * `vm up`, with the way to apply it, rather than silently ignored.
 */
import type {DomainFacts} from '../libvirt/domain-facts.js'
import {parseForwardsFromDomainXml} from '../ports/qemu-args.js'
import {formatPortForward} from '../ports/port-spec.js'
import type {MachineConfig} from '../vmfile/types.js'

/** Human-readable differences; empty when the machine matches its Vmfile entry. Pure. */
export function describeDrift(machine: MachineConfig, domainXml: string, facts: DomainFacts | undefined): string[] {
  const drift: string[] = []
  const have = parseForwardsFromDomainXml(domainXml).map(formatPortForward).sort()
  const want = machine.ports.map(formatPortForward).sort()
  if (have.join('|') !== want.join('|')) drift.push(`ports (the machine has ${have.join(', ') || 'none'}; the Vmfile asks for ${want.join(', ') || 'none'})`)
  const live = machine.folders.filter((f) => f.type !== 'rsync').length
  const shared = (domainXml.match(/<filesystem\b/g) ?? []).length
  if (live !== shared) drift.push(`live folders (the machine has ${shared}; the Vmfile asks for ${live})`)
  const nics = facts?.interfaces.length ?? 0
  const wanted = 1 + (machine.privateNetwork ? 1 : 0) + (machine.bridge ? 1 : 0)
  if (nics !== wanted) drift.push(`networks (the machine has ${nics} NIC${nics === 1 ? '' : 's'}; the Vmfile asks for ${wanted})`)
  return drift
}
