import {createServer, type AddressInfo, type Server} from 'node:net'

import {expect} from 'chai'

import {probeTcp} from '../../../src/ssh/probe.js'

async function listen(): Promise<Server> {
  const server = createServer((socket) => socket.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

describe('ssh/probe', () => {
  it('is true when something accepts connections on 127.0.0.1:PORT', async () => {
    const server = await listen()
    try {
      expect(await probeTcp('127.0.0.1', (server.address() as AddressInfo).port, 1000)).to.equal(true)
    } finally {
      await close(server)
    }
  })

  it('is false, at once, for a closed port', async () => {
    const server = await listen()
    const {port} = server.address() as AddressInfo
    await close(server)
    const started = Date.now()
    expect(await probeTcp('127.0.0.1', port, 5000)).to.equal(false)
    expect(Date.now() - started).to.be.below(1000)
  })
})
