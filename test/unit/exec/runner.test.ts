import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {InterruptedError, VmError} from '../../../src/errors.js'
import {CommandFailedError, CommandTimedOutError, ExecaRunner, ToolNotInstalledError} from '../../../src/exec/runner.js'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

describe('exec/runner ExecaRunner', () => {
  const runner = new ExecaRunner()

  it('returns stdout and stderr (final newline stripped) and exit status 0', async () => {
    expect(await runner.run('sh', ['-c', 'echo out; echo err >&2'])).to.deep.equal({stdout: 'out', stderr: 'err', exitCode: 0})
  })

  it('streams each output line to onLine as it arrives and still captures it; feeds inputFile to stdin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runner-'))
    try {
      await writeFile(join(dir, 'in'), 'a\nb\nc')
      const lines: string[] = []
      const result = await runner.run('sh', ['-c', 'cat; echo err >&2; printf tail'], {
        inputFile: join(dir, 'in'),
        onLine: (line, stream) => lines.push(`${stream}:${line}`),
      })
      // The two pipes race each other; within each stream the order holds.
      expect(lines.filter((l) => l.startsWith('stdout:'))).to.deep.equal(['stdout:a', 'stdout:b', 'stdout:ctail'])
      expect(lines.filter((l) => l.startsWith('stderr:'))).to.deep.equal(['stderr:err'])
      expect(result).to.deep.equal({stdout: 'a\nb\nctail', stderr: 'err', exitCode: 0})
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('turns a non-zero exit status into CommandFailedError with stderr, indented, as the detail', async () => {
    const error = await rejection(runner.run('sh', ['-c', 'echo out; echo "it broke" >&2; exit 3']))
    expect(error).to.be.instanceOf(CommandFailedError)
    const failed = error as CommandFailedError
    expect(failed.message).to.equal(`Command failed with exit status 3: sh -c 'echo out; echo "it broke" >&2; exit 3'`)
    expect(failed.code).to.equal('COMMAND_FAILED')
    expect(failed.exitCode).to.equal(1)
    expect(failed.detail).to.equal('  it broke')
    expect(failed.hint).to.equal('Run again with --verbose to see every command vm runs.')
    expect(failed.argv).to.deep.equal(['sh', '-c', 'echo out; echo "it broke" >&2; exit 3'])
    expect(failed.result).to.deep.equal({stdout: 'out', stderr: 'it broke', exitCode: 3})
  })

  it('indents every non-empty line of the detail', async () => {
    const error = (await rejection(runner.run('sh', ['-c', 'printf "\\n first\\n\\nsecond\\n\\n" >&2; exit 1']))) as VmError
    expect(error.detail).to.equal('  first\n\n  second')
  })

  it('uses stdout as the detail when stderr is empty, and none when both are', async () => {
    expect(((await rejection(runner.run('sh', ['-c', 'echo only-out; exit 1']))) as VmError).detail).to.equal('  only-out')
    expect(((await rejection(runner.run('sh', ['-c', 'exit 1']))) as VmError).detail).to.equal(undefined)
  })

  it('accepts the exit statuses in okExitCodes', async () => {
    expect(await runner.run('sh', ['-c', 'exit 2'], {okExitCodes: [0, 1, 2]})).to.deep.equal({stdout: '', stderr: '', exitCode: 2})
    expect(await rejection(runner.run('sh', ['-c', 'exit 0'], {okExitCodes: [1]}))).to.be.instanceOf(CommandFailedError)
  })

  it('reports a missing tool with the package that provides it', async () => {
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      const error = (await rejection(runner.run('virsh', ['version']))) as VmError
      expect(error).to.be.instanceOf(ToolNotInstalledError)
      expect(error.code).to.equal('TOOL_NOT_INSTALLED')
      expect(error.message).to.equal('virsh is not installed (or not on PATH).')
      expect(error.hint).to.equal('sudo apt-get install libvirt-clients')
      expect(((await rejection(runner.run('qemu-img', ['info']))) as VmError).hint).to.equal('sudo apt-get install qemu-utils')
      expect(((await rejection(runner.run('ssh-keygen', []))) as VmError).hint).to.equal('sudo apt-get install openssh-client')
    } finally {
      process.env.PATH = path
    }
    expect(((await rejection(runner.run('vm-no-such-tool', []))) as VmError).hint).to.equal('Install vm-no-such-tool.')
  })

  it('stops a command that runs past timeoutMs: CommandTimedOutError', async () => {
    const started = Date.now()
    const error = (await rejection(runner.run('sleep', ['30'], {timeoutMs: 1000}))) as VmError
    expect(error).to.be.instanceOf(CommandTimedOutError)
    expect(error.code).to.equal('COMMAND_TIMED_OUT')
    expect(error.message).to.equal('Command did not finish within 1 s: sleep 30')
    expect(Date.now() - started).to.be.below(5000)
  })

  it('stops at once when the signal is aborted: InterruptedError (exit 130)', async () => {
    const controller = new AbortController()
    const started = Date.now()
    setTimeout(() => controller.abort(new InterruptedError()), 100)
    const error = (await rejection(runner.run('sleep', ['30'], {signal: controller.signal}))) as VmError
    expect(error).to.be.instanceOf(InterruptedError)
    expect(error.exitCode).to.equal(130)
    expect(Date.now() - started).to.be.below(5000)
  })

  it('tells onCommand each command as a shell-quoted line before it starts', async () => {
    const lines: string[] = []
    const verbose = new ExecaRunner({onCommand: (line) => lines.push(line)})
    await verbose.run('sh', ['-c', 'exit 0'])
    await rejection(verbose.run('vm-no-such-tool', ['a b']))
    expect(lines).to.deep.equal(["sh -c 'exit 0'", "vm-no-such-tool 'a b'"])
  })

  it('runs children with LC_ALL=C and the rest of the environment', async () => {
    const {stdout} = await runner.run('sh', ['-c', 'printf "%s|%s" "$LC_ALL" "$VM_RUNNER_TEST"'])
    expect(stdout).to.equal('C|')
    process.env.VM_RUNNER_TEST = 'kept'
    try {
      expect((await runner.run('sh', ['-c', 'printf "%s|%s" "$LC_ALL" "$VM_RUNNER_TEST"'])).stdout).to.equal('C|kept')
    } finally {
      delete process.env.VM_RUNNER_TEST
    }
  })

  it("starts every child outside vm's own cwd (the project), in / unless told otherwise", async () => {
    const project = await mkdtemp(join(tmpdir(), 'vm-runner-cwd-'))
    const before = process.cwd()
    process.chdir(project)
    try {
      expect((await runner.run('pwd', [])).stdout).to.equal('/')
      expect((await runner.run('pwd', [], {cwd: tmpdir()})).stdout).to.equal(tmpdir())
    } finally {
      process.chdir(before)
      await rm(project, {recursive: true})
    }
  })

  it('writes input to stdin, and gives an empty stdin otherwise', async () => {
    expect((await runner.run('cat', [], {input: 'hello\nworld'})).stdout).to.equal('hello\nworld')
    expect((await runner.run('cat', [], {timeoutMs: 5000})).stdout).to.equal('')
  })

  it("with stdio 'inherit', hands back the exit status instead of throwing", async () => {
    expect(await runner.run('sh', ['-c', 'exit 3'], {stdio: 'inherit'})).to.deep.equal({stdout: '', stderr: '', exitCode: 3})
  })
})
