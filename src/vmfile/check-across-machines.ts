/**
 * Problems no single value shows: two machines forwarding the same host port, or sharing a
 * private address. A value written once at the top level and inherited by several machines
 * conflicts with itself, which is reported at that value.
 */
import type {MachineConfig} from './types.js'
import {complain, type Complaint} from './complaint.js'
import type {FilledMachine, Origin} from './defaults.js'

export type LocatedComplaint = {readonly complaint: Complaint; readonly origin: Origin}

export function checkAcrossMachines(configs: readonly MachineConfig[], filled: readonly FilledMachine[]): LocatedComplaint[] {
  const originOf = (name: string, key: 'ports' | 'private_network') => filled.find((m) => m.name === name)?.optional[key]?.origin
  return [...portConflicts(configs, originOf), ...addressConflicts(configs, originOf)]
}

type OriginOf = (machine: string, key: 'ports' | 'private_network') => Origin | undefined

function portConflicts(configs: readonly MachineConfig[], originOf: OriginOf): LocatedComplaint[] {
  const found: LocatedComplaint[] = []
  const taken: {machine: string; origin?: Origin; hostIp: string; hostPort: number; protocol: string}[] = []
  for (const machine of configs) {
    machine.ports.forEach((port, index) => {
      const clash = taken.find(
        (t) => t.hostPort === port.hostPort && t.protocol === port.protocol && (t.hostIp === port.hostIp || t.hostIp === '0.0.0.0' || port.hostIp === '0.0.0.0'),
      )
      const origin = originOf(machine.name, 'ports')
      if (clash && origin) {
        const inherited = JSON.stringify(clash.origin) === JSON.stringify(origin)
        const message = inherited
          ? `expected a host port to be forwarded by one machine, found ${port.hostPort}/${port.protocol} inherited by ${clash.machine} and ${machine.name}; move ports under one machine`
          : `expected a host port to be forwarded by one machine, found ${port.hostPort}/${port.protocol} used by ${clash.machine} and ${machine.name}`
        found.push({complaint: complain(message, [index]), origin})
      }
      taken.push({machine: machine.name, origin, ...port})
    })
  }
  return dedupe(found)
}

function addressConflicts(configs: readonly MachineConfig[], originOf: OriginOf): LocatedComplaint[] {
  const found: LocatedComplaint[] = []
  const owners = new Map<string, string>()
  const subnets = new Map<string, string>()
  for (const machine of configs) {
    const network = machine.privateNetwork
    if (network?.kind !== 'static') continue
    const origin = originOf(machine.name, 'private_network')
    if (!origin) continue
    const owner = owners.get(network.ip)
    if (owner) found.push({complaint: complain(`expected one machine per address, found ${network.ip} for ${owner} and ${machine.name}`, ['ip']), origin})
    owners.set(network.ip, machine.name)
    const subnet = network.ip.split('.').slice(0, 3).join('.')
    const first = [...subnets].find(([s]) => s !== subnet)
    if (first) {
      const message = `expected every private address of the project in one /24 network, found ${network.ip} (${machine.name}) and ${first[1]}`
      found.push({complaint: complain(message, ['ip']), origin})
    }
    if (!subnets.has(subnet)) subnets.set(subnet, `${network.ip} (${machine.name})`)
  }
  return dedupe(found)
}

/** An inherited value conflicts once per extra machine; say it once. */
function dedupe(found: LocatedComplaint[]): LocatedComplaint[] {
  const seen = new Set<string>()
  return found.filter((f) => {
    const key = JSON.stringify([f.origin, f.complaint.path])
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
