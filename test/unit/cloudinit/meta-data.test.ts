import {expect} from 'chai'
import {parse} from 'yaml'

import {renderMetaData} from '../../../src/cloudinit/meta-data.js'
import {runTool} from '../fixture.js'

/** PyYAML's reading (cloud-init's loader), as JSON. */
function pyyaml(text: string): unknown {
  const result = runTool('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], 'python3-yaml', text)
  expect(result.status, result.stderr).to.equal(0)
  return JSON.parse(result.stdout)
}

describe('cloudinit/meta-data', () => {
  it('renders instance-id and local-hostname, nothing else', () => {
    expect(renderMetaData({instanceId: '6f1c2a3e-1111-4222-8333-944455566677', hostname: 'web'})).to.equal(
      'instance-id: 6f1c2a3e-1111-4222-8333-944455566677\nlocal-hostname: web\n',
    )
  })

  it('keeps a hostile hostname one string value', () => {
    const hostname = 'web\ninstance-id: other'
    const text = renderMetaData({instanceId: 'iid-1', hostname})
    expect(parse(text)).to.deep.equal({'instance-id': 'iid-1', 'local-hostname': hostname})
    expect(pyyaml(text)).to.deep.equal({'instance-id': 'iid-1', 'local-hostname': hostname})
  })

  for (const hostname of ['on', '0b101', '007']) {
    it(`keeps the hostname "${hostname}" a string for cloud-init (YAML 1.1)`, () => {
      const text = renderMetaData({instanceId: 'iid-1', hostname})
      expect(pyyaml(text)).to.deep.equal({'instance-id': 'iid-1', 'local-hostname': hostname})
    })
  }
})
