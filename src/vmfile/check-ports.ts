/** `ports`: forwarded ports, "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]" each. */
import {parsePortSpec} from '../ports/port-spec.js'
import type {PortForward} from './types.js'
import {complain, describeValue, reject, type Checked, type Complaint} from './complaint.js'

export function checkPorts(value: unknown): Checked<PortForward[]> {
  if (!Array.isArray(value)) return reject(`expected a list of ports such as ["8080:80"], found ${describeValue(value)}`)
  const complaints: Complaint[] = []
  const forwards: PortForward[] = []
  const seen = new Map<string, number>()
  value.forEach((entry, index) => {
    const parsed = parsePortSpec(entry)
    if ('error' in parsed) {
      complaints.push(complain(parsed.error, [index]))
      return
    }
    const {forward} = parsed
    const key = `${forward.hostPort}/${forward.protocol}`
    const earlier = seen.get(key)
    if (earlier !== undefined) complaints.push(complain(`expected each host port once, found ${key} again (also entry ${earlier + 1})`, [index]))
    seen.set(key, index)
    forwards.push(forward)
  })
  return complaints.length > 0 ? {complaints} : {value: forwards, complaints}
}
