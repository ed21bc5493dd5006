import {expect} from 'chai'

import {resolveVmHome} from '../../src/home.js'

const HOME = '/home/ana'

describe('home', () => {
  it('uses the XDG defaults under the home folder', () => {
    expect(resolveVmHome({}, HOME)).to.deep.equal({
      cacheDir: '/home/ana/.cache/vm',
      dataDir: '/home/ana/.local/share/vm',
      configDir: '/home/ana/.config/vm',
    })
  })

  it('follows absolute XDG_*_HOME', () => {
    expect(resolveVmHome({XDG_CACHE_HOME: '/c', XDG_DATA_HOME: '/d', XDG_CONFIG_HOME: '/e'}, HOME)).to.deep.equal({
      cacheDir: '/c/vm',
      dataDir: '/d/vm',
      configDir: '/e/vm',
    })
  })

  it('ignores relative or empty XDG_*_HOME, as the XDG spec says', () => {
    expect(resolveVmHome({XDG_CACHE_HOME: 'cache', XDG_DATA_HOME: '', XDG_CONFIG_HOME: './config'}, HOME)).to.deep.equal({
      cacheDir: '/home/ana/.cache/vm',
      dataDir: '/home/ana/.local/share/vm',
      configDir: '/home/ana/.config/vm',
    })
  })

  it('puts everything in VM_HOME when it is set, over XDG', () => {
    expect(resolveVmHome({VM_HOME: '/tmp/vm-test', XDG_CACHE_HOME: '/c'}, HOME)).to.deep.equal({
      cacheDir: '/tmp/vm-test/cache',
      dataDir: '/tmp/vm-test/data',
      configDir: '/tmp/vm-test/config',
    })
  })
})
