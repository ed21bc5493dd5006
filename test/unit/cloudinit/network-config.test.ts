import {expect} from 'chai'
import {parse} from 'yaml'

import {renderNetworkConfig} from '../../../src/cloudinit/network-config.js'
import {runTool} from '../fixture.js'

/** PyYAML's reading, which is what cloud-init sees. */
function pyyaml(text: string): unknown {
  const result = runTool('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], 'python3-yaml', text)
  expect(result.status, result.stderr).to.equal(0)
  return JSON.parse(result.stdout)
}

describe('cloudinit/network-config', () => {
  const NICS = [
    {id: 'management', mac: '52:54:00:12:34:56', dhcp4: true as const},
    {id: 'private', mac: '52:54:00:AB:CD:EF', addresses: ['10.10.0.11/24']},
    {id: 'bridge', mac: '52:54:00:00:00:01', dhcp4: true as const},
  ]
  const EXPECTED = {
    version: 2,
    ethernets: {
      management: {match: {macaddress: '52:54:00:12:34:56'}, dhcp4: true},
      private: {match: {macaddress: '52:54:00:ab:cd:ef'}, dhcp4: false, addresses: ['10.10.0.11/24']},
      bridge: {match: {macaddress: '52:54:00:00:00:01'}, dhcp4: true},
    },
  }

  it('gives one ethernets entry per NIC, matched by lower-case MAC, in order', () => {
    const text = renderNetworkConfig(NICS)
    expect(parse(text, {version: '1.1'})).to.deep.equal(EXPECTED)
    expect(Object.keys((parse(text) as typeof EXPECTED).ethernets)).to.deep.equal(['management', 'private', 'bridge'])
  })

  it('is exactly this text', () => {
    expect(renderNetworkConfig(NICS.slice(0, 2))).to.equal(
      [
        'version: 2',
        'ethernets:',
        '  management:',
        '    match:',
        '      macaddress: "52:54:00:12:34:56"',
        '    dhcp4: true',
        '  private:',
        '    match:',
        '      macaddress: 52:54:00:ab:cd:ef',
        '    dhcp4: false',
        '    addresses:',
        '      - 10.10.0.11/24',
        '',
      ].join('\n'),
    )
  })

  it('keeps an all-digit MAC a string for cloud-init (YAML 1.1 would read 52:54:00:12:34:56 as a base-60 number)', () => {
    expect(pyyaml(renderNetworkConfig(NICS))).to.deep.equal(EXPECTED)
  })

  it('gives static NICs no gateway, routes or set-name', () => {
    const text = renderNetworkConfig(NICS)
    expect(text).to.not.match(/gateway|routes|set-name/)
  })

  it('refuses two NICs with one id', () => {
    expect(() => renderNetworkConfig([NICS[0]!, {...NICS[2]!, id: 'management'}])).to.throw('two NICs named "management"')
  })
})
