import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {hostsBlockMarkers, renderHostsBlock, updateHostsCommand} from '../../../src/network/hosts-block.js'

const SHOP = '/home/ana/shop'
const BEGIN = '# BEGIN vm shop-549df1e2 (machines of this project; vm rewrites this block)'
const END = '# END vm shop-549df1e2'

const FOREIGN = `127.0.0.1\tlocalhost
127.0.1.1\tweb.example web

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
`

describe('network/hosts-block', () => {
  describe('renderHostsBlock', () => {
    it('writes one "IP name" line per machine, sorted by name, between the markers', () => {
      const block = renderHostsBlock(SHOP, [
        {name: 'web', ip: '10.130.226.10'},
        {name: 'db', ip: '10.130.226.11'},
        {name: 'cache', ip: '192.168.122.45'},
      ])
      expect(block).to.equal(`${BEGIN}\n192.168.122.45 cache\n10.130.226.11 db\n10.130.226.10 web\n${END}\n`)
    })

    it('is the same block whatever order the machines come in', () => {
      const a = [{name: 'b', ip: '10.0.0.2'}, {name: 'a', ip: '10.0.0.1'}]
      expect(renderHostsBlock(SHOP, a)).to.equal(renderHostsBlock(SHOP, [...a].reverse()))
    })

    it('is only the markers when no machine has an address yet', () => {
      expect(renderHostsBlock(SHOP, [])).to.equal(`${BEGIN}\n${END}\n`)
    })

    it('keeps two projects in folders of the same name apart', () => {
      expect(hostsBlockMarkers(SHOP)).to.deep.equal({begin: BEGIN, end: END})
      expect(hostsBlockMarkers('/home/bob/shop').begin).to.equal('# BEGIN vm shop-0716d0e6 (machines of this project; vm rewrites this block)')
    })

    it('takes IPv6 addresses too', () => {
      expect(renderHostsBlock(SHOP, [{name: 'web', ip: 'fd00::10'}])).to.include('\nfd00::10 web\n')
    })

    for (const name of ['', 'web server', 'web\n10.0.0.1 evil', '-web', 'web-', 'a'.repeat(64), 'wéb']) {
      it(`refuses the host name ${JSON.stringify(name)} (it would add names or lines)`, () => {
        expect(() => renderHostsBlock(SHOP, [{name, ip: '10.0.0.1'}])).to.throw(/not a host name/)
      })
    }

    for (const ip of ['', '10.0.0', '10.0.0.1 evil', '10.0.0.1\n1.2.3.4 x']) {
      it(`refuses the address ${JSON.stringify(ip)}`, () => {
        expect(() => renderHostsBlock(SHOP, [{name: 'web', ip}])).to.throw(/not an IP address for web/)
      })
    }

    it('refuses a machine listed twice', () => {
      expect(() => renderHostsBlock(SHOP, [{name: 'web', ip: '10.0.0.1'}, {name: 'web', ip: '10.0.0.2'}])).to.throw(/web is listed twice/)
    })
  })

  describe('updateHostsCommand', () => {
    let dir: string
    let bin: string
    let sudoLog: string

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'vm-hosts-'))
      // A stand-in for the guest's passwordless sudo: records its arguments, insists on -n
      // (never prompt for a password over ssh), and runs the rest as the test user.
      bin = join(dir, 'bin')
      mkdirSync(bin)
      sudoLog = join(dir, 'sudo.log')
      writeFileSync(join(bin, 'sudo'), `#!/bin/sh\nprintf '%s\\n' "$1" >>'${sudoLog}'\n[ "$1" = -n ] || exit 99\nshift\nexec "$@"\n`, {mode: 0o755})
    })

    after(() => {
      rmSync(dir, {recursive: true, force: true})
    })

    let etc: string
    let hosts: string

    beforeEach(() => {
      etc = mkdtempSync(join(dir, 'etc-'))
      hosts = join(etc, 'hosts')
    })

    /** Runs the command the way ssh hands it to the guest's login shell, the block on stdin. */
    function run(command: string, stdin: string, shell = 'sh'): {status: number; stderr: string} {
      const result = spawnSync(shell, ['-c', command], {input: stdin, env: {...process.env, PATH: `${bin}:${process.env.PATH}`}})
      if (result.error) throw result.error
      return {status: result.status ?? -1, stderr: result.stderr.toString('utf8')}
    }

    function update(block: string, path = hosts, shell = 'sh'): void {
      const result = run(updateHostsCommand(block, path), block, shell)
      expect(result.status, result.stderr).to.equal(0)
    }

    const blockV1 = renderHostsBlock(SHOP, [{name: 'web', ip: '10.130.226.10'}])
    const blockV2 = renderHostsBlock(SHOP, [{name: 'web', ip: '10.130.226.10'}, {name: 'db', ip: '10.130.226.11'}])

    for (const shell of ['sh', 'bash']) {
      it(`appends the block to a hosts file without one, keeping every line (login shell: ${shell})`, () => {
        writeFileSync(hosts, FOREIGN)
        update(blockV1, hosts, shell)
        expect(readFileSync(hosts, 'utf8')).to.equal(FOREIGN + blockV1)
      })
    }

    it('runs as root through sudo -n, with /etc/hosts as the default target', () => {
      writeFileSync(hosts, FOREIGN)
      update(blockV1)
      expect(readFileSync(sudoLog, 'utf8').split('\n').at(-2)).to.equal('-n')
      expect(updateHostsCommand(blockV1)).to.match(/^sudo -n sh -c '/).and.match(/ vm-hosts \/etc\/hosts '# BEGIN vm shop-549df1e2 [^']*' '# END vm shop-549df1e2'$/)
    })

    it('replaces the block in place, leaving the lines before and after it alone', () => {
      writeFileSync(hosts, `127.0.0.1 localhost\n${blockV1}10.9.9.9 added-by-hand\n`)
      update(blockV2)
      expect(readFileSync(hosts, 'utf8')).to.equal(`127.0.0.1 localhost\n${blockV2}10.9.9.9 added-by-hand\n`)
    })

    it('is idempotent: the same block twice gives the same bytes', () => {
      writeFileSync(hosts, FOREIGN)
      update(blockV2)
      const once = readFileSync(hosts, 'utf8')
      update(blockV2)
      expect(readFileSync(hosts, 'utf8')).to.equal(once)
      expect(once.split(BEGIN)).to.have.length(2)
    })

    it("leaves another project's block alone", () => {
      const other = renderHostsBlock('/home/bob/shop', [{name: 'web', ip: '10.7.7.7'}])
      writeFileSync(hosts, FOREIGN + other)
      update(blockV1)
      expect(readFileSync(hosts, 'utf8')).to.equal(FOREIGN + other + blockV1)
      update(blockV2)
      expect(readFileSync(hosts, 'utf8')).to.equal(FOREIGN + other + blockV2)
    })

    it('keeps lines that only look like ours: a marker must match the whole line', () => {
      const lookalike = `${BEGIN} \n  ${END}\n#${BEGIN}\n`
      writeFileSync(hosts, lookalike)
      update(blockV1)
      expect(readFileSync(hosts, 'utf8')).to.equal(lookalike + blockV1)
    })

    it('ends a last line that had no newline before appending', () => {
      writeFileSync(hosts, '127.0.0.1 localhost')
      update(blockV1)
      expect(readFileSync(hosts, 'utf8')).to.equal(`127.0.0.1 localhost\n${blockV1}`)
    })

    it('folds duplicate copies of the block into one, at the first one\'s place', () => {
      writeFileSync(hosts, `a\n${blockV1}b\n${blockV1}c\n`)
      update(blockV2)
      expect(readFileSync(hosts, 'utf8')).to.equal(`a\n${blockV2}b\nc\n`)
    })

    it('keeps the lines after a begin marker whose end marker was deleted', () => {
      writeFileSync(hosts, `a\n${BEGIN}\n10.130.226.10 web\n10.9.9.9 added-by-hand\n`)
      update(blockV1)
      expect(readFileSync(hosts, 'utf8')).to.equal(`a\n${blockV1}10.130.226.10 web\n10.9.9.9 added-by-hand\n`)
    })

    it('leaves the file mode 0644 and no temp file behind', () => {
      writeFileSync(hosts, FOREIGN)
      chmodSync(hosts, 0o600)
      update(blockV1)
      expect(statSync(hosts).mode & 0o777).to.equal(0o644)
      expect(readdirSync(etc)).to.deep.equal(['hosts'])
    })

    it('replaces the file by rename (a new inode), so readers never see half of it', () => {
      writeFileSync(hosts, FOREIGN)
      const before = statSync(hosts).ino
      update(blockV1)
      expect(statSync(hosts).ino).to.not.equal(before)
    })

    it('creates a missing hosts file', () => {
      update(blockV1)
      expect(readFileSync(hosts, 'utf8')).to.equal(blockV1)
    })

    it('refuses a stdin that is not the block (nothing passed), leaving the file and no temp file', () => {
      writeFileSync(hosts, FOREIGN + blockV1)
      const result = run(updateHostsCommand(blockV2, hosts), '')
      expect(result.status).to.equal(1)
      expect(result.stderr).to.include('stdin does not hold the block')
      expect(readFileSync(hosts, 'utf8')).to.equal(FOREIGN + blockV1)
      expect(readdirSync(etc)).to.deep.equal(['hosts'])
    })

    it('quotes the target path: quotes, spaces and $(...) stay literal', () => {
      const odd = join(etc, `it's "my" $(touch pwned) hosts`)
      writeFileSync(odd, FOREIGN)
      update(blockV1, odd)
      expect(readFileSync(odd, 'utf8')).to.equal(FOREIGN + blockV1)
      expect(existsSync(join(process.cwd(), 'pwned'))).to.equal(false)
      expect(existsSync(join(etc, 'pwned'))).to.equal(false)
    })

    it('refuses text that is not a block from renderHostsBlock', () => {
      expect(() => updateHostsCommand('10.0.0.1 web\n')).to.throw(/not a hosts block/)
      expect(() => updateHostsCommand(`${BEGIN}\n10.0.0.1 web\n# END vm other-00000000\n`)).to.throw(/not a hosts block/)
      expect(() => updateHostsCommand(`${BEGIN}\n`)).to.throw(/not a hosts block/)
    })
  })
})
