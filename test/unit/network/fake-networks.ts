import {readFileSync} from 'node:fs'

import {CommandFailedError, type CommandResult, type Runner} from '../../../src/exec/runner.js'
import {Virsh} from '../../../src/libvirt/virsh.js'
import {parseXml, type XmlNode} from '../../../src/libvirt/xml.js'

export const URI = 'qemu:///system'

export type FakeNetwork = {xml: string; active: boolean; autostart: boolean; persistent: boolean; connections: number}

/**
 * libvirt's network API behind virsh's command line, in memory: a Runner, so the code under test
 * goes through the real Virsh class (argv, "not found" classification) and only the process is
 * fake. Any virsh command it does not know fails the test. Errors carry libvirt 9.0's wording.
 */
export class FakeNetworks implements Runner {
  readonly networks = new Map<string, FakeNetwork>()
  /** Every command as "verb name" (net-define as "net-define NAME", not the temp file). */
  readonly calls: string[] = []
  /** Names net-list shows but that are gone by the time someone reads them. */
  readonly vanished = new Set<string>()
  /** When set, net-start fails with this stderr. */
  startFailure?: string
  readonly virsh = new Virsh(this, URI)

  add(name: string, xml: string, state: Partial<Omit<FakeNetwork, 'xml'>> = {}): FakeNetwork {
    const network = {xml, active: true, autostart: true, persistent: true, connections: 0, ...state}
    this.networks.set(name, network)
    return network
  }

  /** The commands that changed something (everything but reads). */
  get changes(): string[] {
    return this.calls.filter((call) => !/^net-(list|dumpxml|info)\b/.test(call))
  }

  async run(file: string, args: readonly string[]): Promise<CommandResult> {
    if (file !== 'virsh' || args[0] !== '-c' || args[1] !== URI) throw new Error(`unexpected command: ${file} ${args.join(' ')}`)
    const [verb = '', ...rest] = args.slice(2)
    const argv = [file, ...args]
    if (verb === 'net-define') {
      const xml = readFileSync(rest[0]!, 'utf8')
      const name = String((parseXml(xml).network as XmlNode).name)
      this.calls.push(`net-define ${name}`)
      if (this.networks.has(name)) fail(argv, `error: Failed to define network from ${rest[0]}\nerror: operation failed: network '${name}' already exists with uuid 0f3c8a52-0000-4000-8000-000000000000`)
      this.networks.set(name, {xml, active: false, autostart: false, persistent: true, connections: 0})
      return ok(`Network ${name} defined from ${rest[0]}\n\n`)
    }
    this.calls.push([verb, ...rest].join(' '))
    if (verb === 'net-list' && rest.join(' ') === '--all --name') return ok([...this.networks.keys(), ...this.vanished].map((name) => `${name}\n`).join('') + '\n')
    const name = rest.at(-1) ?? ''
    const network = this.networks.get(name)
    if (!network) fail(argv, `error: failed to get network '${name}'\nerror: Network not found: no network with matching name '${name}'`)
    switch (`${verb} ${rest.slice(0, -1).join(' ')}`.trim()) {
      case 'net-dumpxml':
        // libvirt writes how many interfaces are attached on an active network's root element.
        return ok(network.active && network.connections > 0 ? network.xml.replace('<network>', `<network connections='${network.connections}'>`) : network.xml)
      case 'net-info':
        return ok(
          `Name:           ${name}\nUUID:           0f3c8a52-0000-4000-8000-000000000000\nActive:         ${yes(network.active)}\n` +
            `Persistent:     ${yes(network.persistent)}\nAutostart:      ${yes(network.autostart)}\nBridge:         virbr9\n\n`,
        )
      case 'net-start':
        if (network.active) fail(argv, `error: Failed to start network ${name}\nerror: Requested operation is not valid: network is already active`)
        if (this.startFailure) fail(argv, this.startFailure)
        network.active = true
        return ok(`Network ${name} started\n\n`)
      case 'net-autostart':
        network.autostart = true
        return ok(`Network ${name} marked as autostarted\n\n`)
      case 'net-destroy':
        if (!network.active) fail(argv, `error: Failed to destroy network ${name}\nerror: Requested operation is not valid: network '${name}' is not active`)
        network.active = false
        if (!network.persistent) this.networks.delete(name)
        return ok(`Network ${name} destroyed\n\n`)
      case 'net-undefine':
        // As in libvirt: an active network outlives its definition, as a transient one.
        if (network.active) network.persistent = false
        else this.networks.delete(name)
        return ok(`Network ${name} has been undefined\n\n`)
      default:
        throw new Error(`unexpected virsh command: ${args.slice(2).join(' ')}`)
    }
  }
}

function ok(stdout: string): CommandResult {
  return {stdout, stderr: '', exitCode: 0}
}

function fail(argv: readonly string[], stderr: string): never {
  throw new CommandFailedError(argv, {stdout: '', stderr: `${stderr}\n\n`, exitCode: 1})
}

function yes(flag: boolean): string {
  return flag ? 'yes' : 'no'
}
