import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, mkdir, readdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'chai'

import {VmError} from '../../../src/errors.js'
import {ProvisionerError} from '../../../src/provision/errors.js'
import {hasShebang, renderShellCommand, runShellProvisioner, shellRunArgs, type ShellProvisioner, type ShellRun} from '../../../src/provision/shell.js'
import {captureOutput, contextOf, FakeRunner, LocalSshRunner, rejection, SSH_OPTIONS, TARGET, tempDir} from './helpers.js'

const HEAD = `f=$(mktemp) || exit 1; cat >"$f" && chmod 0700 "$f" || { rm -f "$f"; exit 1; }; `
const TAIL = ` </dev/null; s=$?; rm -f "$f"; exit $s`

const PLAIN: ShellRun = {privileged: true, env: {}, args: [], shebang: false}

/** Values a shell would love to run: each must arrive in the script exactly as written. */
const HOSTILE_ENV = {
  GREETING: `it's "quoted" $(touch pwned-env) \`touch pwned-tick\` $HOME ; touch pwned-semi\nsecond line`,
  EMPTY: '',
  _under: 'a=b=c',
}
const HOSTILE_ARGS = ['$(touch pwned-arg)', "a'b", 'two  words', '', '-n', '*', 'line1\nline2', '\\back', '; touch pwned-semicolon', '~', '"dq"']

/** A script (no shebang: bash runs it) that shows what it got. */
const SHOW_SCRIPT = `for a in "$@"; do printf '[%s]\\n' "$a"; done
printf 'GREETING=[%s]\\n' "$GREETING"
printf 'EMPTY=[%s]\\n' "\${EMPTY-unset}"
printf '_under=[%s]\\n' "$_under"
printf 'sudo=[%s]\\n' "\${VIA_FAKE_SUDO-}"
[[ -n $BASH_VERSION ]] && echo 'run by bash'
read -r line; echo "stdin read status $?"
echo 'to stderr' >&2
exit 3
`

const SHOWN = [
  ...HOSTILE_ARGS.flatMap((a) => `[${a}]`.split('\n')),
  ...`GREETING=[${HOSTILE_ENV.GREETING}]`.split('\n'),
  'EMPTY=[]',
  '_under=[a=b=c]',
]

/**
 * A folder with a `sudo` that drops its options and runs the rest with VIA_FAKE_SUDO=1: the
 * words after sudo are exactly what real sudo would execute.
 */
async function fakeSudoBin(dir: string): Promise<string> {
  const bin = join(dir, 'bin')
  await mkdir(bin, {recursive: true})
  await writeFile(
    join(bin, 'sudo'),
    '#!/bin/sh\n[ "$1" = -n ] && [ "$2" = -H ] || { echo "fake sudo: unexpected options $1 $2" >&2; exit 99; }\nshift 2\nVIA_FAKE_SUDO=1 exec "$@"\n',
  )
  await chmod(join(bin, 'sudo'), 0o755)
  return bin
}

describe('provision/shell', () => {
  describe('renderShellCommand', () => {
    it('runs a script without a shebang through bash as root, with stdin from /dev/null, and removes it', () => {
      expect(renderShellCommand(PLAIN)).to.equal(`${HEAD}sudo -n -H bash "$f"${TAIL}`)
    })

    it('runs a script with a shebang directly', () => {
      expect(renderShellCommand({...PLAIN, shebang: true})).to.equal(`${HEAD}sudo -n -H "$f"${TAIL}`)
    })

    it('runs as the login user when not privileged', () => {
      expect(renderShellCommand({...PLAIN, privileged: false})).to.equal(`${HEAD}bash "$f"${TAIL}`)
      expect(renderShellCommand({...PLAIN, privileged: false, shebang: true})).to.equal(`${HEAD}"$f"${TAIL}`)
    })

    it('passes the environment through env and quotes values and arguments', () => {
      expect(renderShellCommand({privileged: true, env: {A: '1', B_2: 'x y'}, args: ['--flag', "it's"], shebang: true})).to.equal(
        `${HEAD}sudo -n -H env A=1 'B_2=x y' "$f" --flag 'it'\\''s'${TAIL}`,
      )
      expect(renderShellCommand({privileged: false, env: {A: '$(id)'}, args: ['', '`id`'], shebang: false})).to.equal(
        `${HEAD}env 'A=$(id)' bash "$f" '' '\`id\`'${TAIL}`,
      )
    })

    it('refuses an environment variable name that is not a shell name', () => {
      for (const name of ['1A', 'A-B', 'A B', '', 'A=B', 'A;id', 'Ä']) {
        const run = () => renderShellCommand({...PLAIN, env: {[name]: 'x'}})
        expect(run, name).to.throw(VmError).with.property('code', 'PROVISION_ENV_NAME')
      }
    })
  })

  describe('shellRunArgs', () => {
    it('is one ssh call in batch mode with the whole remote command as one word', () => {
      expect(shellRunArgs(TARGET, PLAIN)).to.deep.equal([...SSH_OPTIONS, '-T', '--', TARGET.host, renderShellCommand(PLAIN)])
    })
  })

  it('hasShebang looks at the first two bytes only', () => {
    expect(hasShebang('#!/bin/sh\n')).to.equal(true)
    expect(hasShebang(' #!/bin/sh\n')).to.equal(false)
    expect(hasShebang('echo hi')).to.equal(false)
    expect(hasShebang('')).to.equal(false)
    expect(hasShebang(new Uint8Array([0x23, 0x21]))).to.equal(true)
    expect(hasShebang(new Uint8Array([0x23]))).to.equal(false)
  })

  // The remote command, run by local shells exactly as sshd would hand it to the login shell.
  describe('the remote command, run locally', () => {
    let dir: string
    let remove: () => Promise<void>
    let bin: string
    let tmp: string

    beforeEach(async () => {
      ;({dir, remove} = await tempDir('vm-shell-'))
      bin = await fakeSudoBin(dir)
      tmp = join(dir, 'tmp')
      await mkdir(tmp)
    })
    afterEach(() => remove())

    function runLocally(shell: string, run: ShellRun, script: string) {
      const result = spawnSync(shell, ['-c', renderShellCommand(run)], {
        input: script,
        cwd: dir,
        env: {PATH: `${bin}:${process.env.PATH}`, TMPDIR: tmp, HOME: dir},
      })
      return {status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString()}
    }

    for (const shell of ['sh', 'bash']) {
      for (const privileged of [true, false]) {
        it(`${shell}: hostile values reach a ${privileged ? 'privileged' : 'plain'} script untouched; status, stdin and cleanup hold`, async () => {
          const result = runLocally(shell, {privileged, env: HOSTILE_ENV, args: HOSTILE_ARGS, shebang: false}, SHOW_SCRIPT)
          expect(result.status, result.stderr).to.equal(3)
          expect(result.stderr).to.equal('to stderr\n')
          expect(result.stdout.split('\n')).to.deep.equal([...SHOWN, `sudo=[${privileged ? '1' : ''}]`, 'run by bash', 'stdin read status 1', ''])
          expect(await readdir(dir)).to.have.members(['bin', 'tmp'])
          expect(await readdir(tmp), 'the uploaded script is removed').to.deep.equal([])
        })
      }

      it(`${shell}: a script with a shebang runs through its interpreter`, async () => {
        const script = '#!/bin/cat\nthis file is printed by cat, not run by bash\n'
        const result = runLocally(shell, {privileged: true, env: {}, args: [], shebang: true}, script)
        expect(result.status, result.stderr).to.equal(0)
        expect(result.stdout).to.equal(script)
        expect(await readdir(tmp)).to.deep.equal([])
      })

      it(`${shell}: a script without a trailing newline and a successful status`, () => {
        const result = runLocally(shell, {privileged: false, env: {}, args: [], shebang: false}, 'echo ok')
        expect(result).to.deep.equal({status: 0, stdout: 'ok\n', stderr: ''})
      })
    }

    it('the uploaded file is private while it exists (0700, owned by the login user)', () => {
      const result = runLocally('sh', {privileged: false, env: {}, args: [], shebang: false}, 'stat -c %a "$0"')
      expect(result.stdout).to.equal('700\n')
    })
  })

  describe('runShellProvisioner', () => {
    const inline = (text: string, extra: Partial<ShellProvisioner> = {}): ShellProvisioner => ({
      kind: 'shell',
      label: 'shell #1 (inline)',
      inline: text,
      privileged: true,
      env: {},
      args: [],
      ...extra,
    })

    it('sends an inline script on stdin and routes stdout lines to info and stderr lines to warn', async () => {
      const out = captureOutput()
      const runner = new FakeRunner([{stdout: ['one', 'two'], stderr: ['oops']}])
      const status = await runShellProvisioner(contextOf(runner, out), inline('#!/bin/sh\necho one\n', {env: {A: 'b'}, args: ['x']}))
      expect(status).to.equal(0)
      expect(runner.calls).to.have.length(1)
      const [call] = runner.calls
      expect(call!.file).to.equal('ssh')
      expect(call!.args).to.deep.equal(shellRunArgs(TARGET, {privileged: true, env: {A: 'b'}, args: ['x'], shebang: true}))
      expect(call!.options.input).to.equal('#!/bin/sh\necho one\n')
      expect(call!.options.inputFile).to.equal(undefined)
      expect(out.lines).to.deep.equal(['info: one', 'info: two', 'warn: oops'])
    })

    it('returns a failing script status instead of throwing', async () => {
      const runner = new FakeRunner([{stderr: ['bad'], exitCode: 3}])
      expect(await runShellProvisioner(contextOf(runner, captureOutput()), inline('exit 3'))).to.equal(3)
    })

    it('streams a script file as stdin, telling shebang from none by its first bytes', async () => {
      const {dir, remove} = await tempDir('vm-shell-')
      try {
        for (const [text, shebang] of [['#!/usr/bin/env python3\nprint(1)\n', true], ['echo hi\n', false], ['', false]] as const) {
          const path = join(dir, 'setup.sh')
          await writeFile(path, text)
          const runner = new FakeRunner([{}])
          await runShellProvisioner(contextOf(runner, captureOutput()), {kind: 'shell', label: 'shell #2 (setup.sh)', path, privileged: false, env: {}, args: []})
          expect(runner.calls[0]!.options.inputFile).to.equal(path)
          expect(runner.calls[0]!.options.input).to.equal(undefined)
          expect(runner.calls[0]!.args.at(-1)).to.equal(renderShellCommand({privileged: false, env: {}, args: [], shebang}))
        }
      } finally {
        await remove()
      }
    })

    it('names the machine, the provisioner and the path when the script file is gone', async () => {
      const runner = new FakeRunner([])
      const error = await rejection(
        runShellProvisioner(contextOf(runner, captureOutput()), {kind: 'shell', label: 'shell #2 (setup.sh)', path: '/nonexistent/setup.sh', privileged: true, env: {}, args: []}),
      )
      expect(error).to.be.instanceOf(ProvisionerError)
      expect(error.message).to.match(/^web: provisioner shell #2 \(setup\.sh\): cannot read the script \/nonexistent\/setup\.sh: ENOENT/)
      expect((error as VmError).code).to.equal('PROVISION_SCRIPT_UNREADABLE')
      expect(runner.calls).to.deep.equal([])
    })

    it('end to end through the real runner, with a local shell as the guest: live lines and status', async () => {
      const {dir, remove} = await tempDir('vm-shell-')
      try {
        const bin = await fakeSudoBin(dir)
        await mkdir(join(dir, '.tmp'))
        const path = join(dir, 'setup.sh')
        await writeFile(path, SHOW_SCRIPT)
        const out = captureOutput()
        const runner = new LocalSshRunner(dir, `${bin}:${process.env.PATH}`)
        const status = await runShellProvisioner(contextOf(runner, out), {kind: 'shell', label: 'shell #1 (setup.sh)', path, privileged: true, env: HOSTILE_ENV, args: HOSTILE_ARGS})
        expect(status).to.equal(3)
        expect(out.lines).to.deep.equal([
          ...[...SHOWN, 'sudo=[1]', 'run by bash', 'stdin read status 1'].map((line) => `info: ${line}`),
          'warn: to stderr',
        ])
        expect(existsSync(join(dir, 'pwned-arg'))).to.equal(false)
        expect(await readdir(join(dir, '.tmp'))).to.deep.equal([])
      } finally {
        await remove()
      }
    })
  })
})
