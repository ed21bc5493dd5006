import {execFile} from 'node:child_process'
import {chmod, chown, mkdtemp, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {expect} from 'chai'

import {idMapLines, renderVirtiofsdWrapper, subordinateBase} from '../../../src/folders/virtiofsd-wrapper.js'

const run = promisify(execFile)

describe('folders/virtiofsd-wrapper', () => {
  it("maps all of the guest's ids: vm's user (1000) onto the host user, the rest onto the spare range", () => {
    expect(idMapLines(1001, 100000)).to.equal('0 100000 1000\n1000 1001 1\n1001 101001 64535\n')
  })

  it('finds the user\'s own subordinate range by name or uid, if it is big enough', () => {
    const subuid = 'ana:100000:65536\nbob:165536:1000\n1002:231072:65536\n'
    expect(subordinateBase(subuid, 'ana', 1000)).to.equal(100000)
    expect(subordinateBase(subuid, 'bob', 1001)).to.equal(undefined)
    expect(subordinateBase(subuid, 'carol', 1002)).to.equal(231072)
    expect(subordinateBase('', 'root', 0)).to.equal(undefined)
  })

  it('refuses a virtiofsd path with control characters or relative, and ids out of range', () => {
    const spec = {virtiofsd: '/usr/lib/qemu/virtiofsd', hostUid: 1000, hostGid: 1000, spareUid: 100000, spareGid: 100000}
    expect(() => renderVirtiofsdWrapper({...spec, virtiofsd: '/usr/lib/qemu/virtiofsd\nimport os'})).to.throw(/not an absolute path/)
    expect(() => renderVirtiofsdWrapper({...spec, virtiofsd: 'virtiofsd'})).to.throw(/not an absolute path/)
    expect(() => renderVirtiofsdWrapper({...spec, hostUid: -1})).to.throw(/not an id/)
    // A quote in the path stays inside the Python string.
    expect(renderVirtiofsdWrapper({...spec, virtiofsd: "/opt/it's/virtiofsd"})).to.include(`VIRTIOFSD = "/opt/it's/virtiofsd"`)
  })

  describe('run for real (as libvirtd runs it: root)', () => {
    let dir: string
    before(function () {
      if (process.getuid?.() !== 0) this.skip()
    })
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vm-virtiofsd-wrapper-'))
      await chmod(dir, 0o755)
    })
    afterEach(() => rm(dir, {recursive: true, force: true}))

    /** Writes a wrapper whose "virtiofsd" is PROGRAM, for host user 4321, and runs it with ARGS. */
    async function wrapped(program: string, args: string[]): Promise<string> {
      const script = join(dir, 'wrapper')
      await writeFile(script, renderVirtiofsdWrapper({virtiofsd: program, hostUid: 4321, hostGid: 4322, spareUid: 200000, spareGid: 300000}), {mode: 0o755})
      return (await run(script, args)).stdout
    }

    it('execs its program in a user namespace with those maps, as root of that namespace', async () => {
      expect(await wrapped('/usr/bin/cat', ['/proc/self/uid_map', '/proc/self/gid_map'])).to.match(
        /^\s*0\s+200000\s+1000\n\s*1000\s+4321\s+1\n\s*1001\s+201001\s+64535\n\s*0\s+300000\s+1000\n\s*1000\s+4322\s+1\n\s*1001\s+301001\s+64535\n$/,
      )
      expect((await wrapped('/usr/bin/id', ['-u'])).trim()).to.equal('0')
    })

    it("makes what the guest's root creates belong to the spare range, and what vm's user creates to the host user", async () => {
      const share = join(dir, 'share')
      await run('mkdir', ['-m', '1777', share])
      await wrapped('/usr/bin/touch', [join(share, 'by-root')])
      await wrapped('/usr/bin/setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', '/usr/bin/touch', join(share, 'by-user')])
      expect(await stat(join(share, 'by-root'))).to.include({uid: 200000, gid: 300000})
      expect(await stat(join(share, 'by-user'))).to.include({uid: 4321, gid: 4322})
    })

    it("cannot write the host's root-owned files, even as root of its namespace", async () => {
      const file = join(dir, 'root-owned')
      await writeFile(file, 'keep\n', {mode: 0o644})
      await chown(file, 0, 0)
      const wrote = await wrapped('/bin/sh', ['-c', `echo changed > ${file} && echo wrote || echo refused`])
      expect(wrote.trim()).to.equal('refused')
    })
  })
})
