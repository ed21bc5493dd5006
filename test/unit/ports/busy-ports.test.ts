import {createSocket, type Socket} from 'node:dgram'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {createServer, type AddressInfo, type Server} from 'node:net'
import {networkInterfaces, tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {findBusyPorts, readUnprivilegedPortStart} from '../../../src/ports/busy-ports.js'
import type {PortForward} from '../../../src/vmfile/types.js'

/* Every socket these tests open listens on 127.0.0.1, on a port the kernel picks. */
const LOOPBACK = '127.0.0.1'
const HIGH = {unprivilegedPortStart: 1024}

const forward = (hostPort: number, protocol: PortForward['protocol'], hostIp = LOOPBACK): PortForward => ({hostIp, hostPort, guestPort: 80, protocol})

function listenTcp(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({host: LOOPBACK, port: 0}, () => resolve(server))
  })
}

function bindUdp(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    socket.once('error', reject)
    socket.bind({address: LOOPBACK, port: 0}, () => resolve(socket))
  })
}

/** A port that was free a moment ago: bound by the kernel's choice, then released. */
async function freeTcpPort(): Promise<number> {
  const server = await listenTcp()
  const {port} = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('ports/busy-ports', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!()
  })

  it('finds a TCP port another program listens on, and not the same port in UDP', async () => {
    const server = await listenTcp()
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const {port} = server.address() as AddressInfo
    const taken = forward(port, 'tcp')
    const probe = await findBusyPorts([taken, forward(port, 'udp')], HIGH)
    expect(probe).to.deep.equal({busy: [taken], privileged: [], unavailable: [], unprivilegedPortStart: 1024})
  })

  it('finds a UDP port another program has bound, and not the same port in TCP', async () => {
    const socket = await bindUdp()
    cleanups.push(() => new Promise<void>((resolve) => socket.close(resolve)))
    const {port} = socket.address()
    const taken = forward(port, 'udp')
    const probe = await findBusyPorts([forward(port, 'tcp'), taken], HIGH)
    expect(probe.busy).to.deep.equal([taken])
    expect(probe.privileged).to.deep.equal([])
  })

  it('leaves a free port free, and probes one forward at a time', async () => {
    const port = await freeTcpPort()
    // Probed together, the second probe would find the first one's socket.
    const probe = await findBusyPorts([forward(port, 'tcp'), forward(port, 'tcp')], HIGH)
    expect(probe).to.deep.equal({busy: [], privileged: [], unavailable: [], unprivilegedPortStart: 1024})
    // Released again: a listener can take it now.
    const server = createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen({host: LOOPBACK, port}, resolve))
    await new Promise((resolve) => server.close(resolve))
  })

  it('calls a port privileged by the sysctl even when this process may bind it (QEMU may not)', async () => {
    const port = await freeTcpPort()
    const below = await findBusyPorts([forward(port, 'tcp')], {unprivilegedPortStart: port + 1})
    expect(below).to.deep.equal({busy: [], privileged: [forward(port, 'tcp')], unavailable: [], unprivilegedPortStart: port + 1})
    const at = await findBusyPorts([forward(port, 'tcp')], {unprivilegedPortStart: port})
    expect(at.privileged).to.deep.equal([])
  })

  it("judges low ports by this host's own sysctl when not told", async function () {
    const start = await readUnprivilegedPortStart()
    if (start <= 1) this.skip()
    // Port 1 on loopback: as root the bind works and the sysctl decides; otherwise EACCES does.
    const probe = await findBusyPorts([forward(1, 'tcp')])
    expect(probe.unprivilegedPortStart).to.equal(start)
    expect(probe.privileged.length + probe.busy.length).to.equal(1)
  })

  it('calls an address this host does not have unavailable', async function () {
    const address = '192.0.2.1' // TEST-NET-1: never assigned, so the bind fails and nothing listens
    const local = Object.values(networkInterfaces()).flat().some((info) => info?.address === address)
    if (local) this.skip()
    const wrong = forward(8080, 'tcp', address)
    const probe = await findBusyPorts([wrong, forward(8080, 'udp', address)], HIGH)
    expect(probe.unavailable).to.deep.equal([wrong, forward(8080, 'udp', address)])
  })

  describe('readUnprivilegedPortStart', () => {
    let dir = ''
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vm-ports-'))
    })
    after(() => rm(dir, {recursive: true, force: true}))

    it('reads the sysctl file', async () => {
      await writeFile(join(dir, 'start'), '80\n')
      expect(await readUnprivilegedPortStart(join(dir, 'start'))).to.equal(80)
    })

    it('falls back to 1024 when the file is missing or odd', async () => {
      expect(await readUnprivilegedPortStart(join(dir, 'missing'))).to.equal(1024)
      await writeFile(join(dir, 'odd'), 'lots\n')
      expect(await readUnprivilegedPortStart(join(dir, 'odd'))).to.equal(1024)
    })

    it('matches this host', async () => {
      expect(await readUnprivilegedPortStart()).to.be.a('number').within(0, 65536)
    })
  })
})
