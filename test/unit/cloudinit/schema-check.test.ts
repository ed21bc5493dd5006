import {expect} from 'chai'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {checkCloudConfigSchema} from '../../../src/cloudinit/schema-check.js'
import {CommandFailedError, ExecaRunner, ToolNotInstalledError, type CommandResult, type RunOptions, type Runner} from '../../../src/exec/runner.js'

type Answer = {stdout: string} | {throws: Error}

/** Answers each interpreter's call from `answers` (by program), and records the calls. */
class ScriptedRunner implements Runner {
  readonly calls: Array<{file: string; args: readonly string[]; options?: RunOptions}> = []

  constructor(private readonly answers: Record<string, Answer>) {}

  async run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult> {
    this.calls.push({file, args, options})
    const answer = this.answers[file]
    if (!answer) throw new Error(`unexpected command: ${file}`)
    if ('throws' in answer) throw answer.throws
    return {stdout: answer.stdout, stderr: '', exitCode: 0}
  }
}

const OK = {stdout: '{"available": true, "problems": []}\n'}

describe('cloudinit/schema-check', () => {
  describe("with the host's cloud-init (22.4 here)", function () {
    this.timeout(60_000)
    const runner = new ExecaRunner()

    it('finds no problems in a valid config', async () => {
      const config = {packages: ['git'], write_files: [{path: '/etc/motd', content: 'hi\n'}], users: ['default', {name: 'bob', groups: ['adm']}], runcmd: [['true']]}
      expect(await checkCloudConfigSchema(runner, config)).to.deep.equal({available: true, problems: []})
    })

    it("reports each error at cloud-init's dotted path", async () => {
      expect(await checkCloudConfigSchema(runner, {packages: 'git', write_files: [{path: '/x', bogus: 1}]})).to.deep.equal({
        available: true,
        problems: [
          {path: 'packages', message: "'git' is not of type 'array'"},
          {path: 'write_files.0', message: "Additional properties are not allowed ('bogus' was unexpected)"},
        ],
      })
    })

    describe('in a project that carries python modules of its own', () => {
      let project: string
      let before: string
      let pythonPath: string | undefined
      beforeEach(() => {
        project = mkdtempSync(join(tmpdir(), 'vm-schema-'))
        // Each would run on import: a json.py beside the Vmfile, a cloudinit package, and the same
        // again reached through PYTHONPATH.
        const trap = `open(${JSON.stringify(join(project, 'ran'))}, 'a').write(__name__ + '\\n')\n`
        writeFileSync(join(project, 'json.py'), trap)
        mkdirSync(join(project, 'cloudinit'))
        writeFileSync(join(project, 'cloudinit', '__init__.py'), trap)
        before = process.cwd()
        pythonPath = process.env.PYTHONPATH
        process.chdir(project)
        process.env.PYTHONPATH = project
      })
      afterEach(() => {
        process.chdir(before)
        if (pythonPath === undefined) delete process.env.PYTHONPATH
        else process.env.PYTHONPATH = pythonPath
        rmSync(project, {recursive: true, force: true})
      })

      it('imports none of them: the interpreter runs isolated, outside the project', async () => {
        expect(await checkCloudConfigSchema(runner, {packages: ['git']})).to.deep.equal({available: true, problems: []})
        expect(existsSync(join(project, 'ran')), 'a module from the project ran').to.equal(false)
      })
    })

    it('does not count deprecations as problems', async () => {
      // 22.4 deprecates apt_update (use package_update) and chpasswd.list.
      expect(await checkCloudConfigSchema(runner, {apt_update: true, chpasswd: {list: 'bob:x'}})).to.deep.equal({available: true, problems: []})
    })
  })

  describe('choosing an interpreter', () => {
    it('sends the config as JSON on stdin to python3 -I -c', async () => {
      const runner = new ScriptedRunner({python3: OK})
      const config = {packages: ['git'], hostname: 'on'}
      expect(await checkCloudConfigSchema(runner, config)).to.deep.equal({available: true, problems: []})
      expect(runner.calls).to.have.length(1)
      expect(runner.calls[0]!.args.slice(0, 2)).to.deep.equal(['-I', '-c'])
      expect(runner.calls[0]!.args[2]).to.contain('validate_cloudconfig_schema')
      expect(JSON.parse(runner.calls[0]!.options!.input!)).to.deep.equal(config)
    })

    it("falls back to the system's python3 when the one on PATH cannot import cloud-init", async () => {
      const runner = new ScriptedRunner({
        python3: {stdout: '{"available": false, "reason": "cannot import cloud-init (No module named \'cloudinit\')"}\n'},
        '/usr/bin/python3': {stdout: 'a warning line\n{"available": true, "problems": [{"path": "packages", "message": "bad"}]}\n'},
      })
      expect(await checkCloudConfigSchema(runner, {})).to.deep.equal({available: true, problems: [{path: 'packages', message: 'bad'}]})
      expect(runner.calls.map((call) => call.file)).to.deep.equal(['python3', '/usr/bin/python3'])
    })

    it('is unavailable, saying why and what to install, when no python3 is installed', async () => {
      const runner = new ScriptedRunner({python3: {throws: new ToolNotInstalledError('python3')}, '/usr/bin/python3': {throws: new ToolNotInstalledError('/usr/bin/python3')}})
      expect(await checkCloudConfigSchema(runner, {})).to.deep.equal({
        available: false,
        reason: 'python3: not installed; /usr/bin/python3: not installed; install cloud-init on the host (apt-get install cloud-init) for a full schema check',
      })
    })

    it('is unavailable when cloud-init cannot be imported, fails, or answers nonsense', async () => {
      const runner = new ScriptedRunner({
        python3: {throws: new CommandFailedError(['python3'], {stdout: '', stderr: 'Traceback', exitCode: 1})},
        '/usr/bin/python3': {stdout: 'not json'},
      })
      expect(await checkCloudConfigSchema(runner, {})).to.deep.equal({
        available: false,
        reason: 'python3: exited with status 1; /usr/bin/python3: unexpected output "not json"; install cloud-init on the host (apt-get install cloud-init) for a full schema check',
      })
    })

    it('passes on other errors (an interrupt is not "no cloud-init")', async () => {
      const interrupt = new Error('interrupted')
      const runner = new ScriptedRunner({python3: {throws: interrupt}})
      let thrown: unknown
      await checkCloudConfigSchema(runner, {}).catch((error: unknown) => (thrown = error))
      expect(thrown).to.equal(interrupt)
    })
  })

  it('reports a real interpreter without cloud-init as unavailable (the script itself, run by a python3 that has no cloudinit)', async function () {
    this.timeout(60_000)
    // `python3 -S -I` cannot see site-packages: the script's import fails as on a host without cloud-init.
    const isolated: Runner = {run: (file, args, options) => new ExecaRunner().run(file, ['-S', '-I', ...args], options)}
    const result = await checkCloudConfigSchema(isolated, {})
    expect(result.available).to.equal(false)
    expect((result as {reason: string}).reason).to.match(/^python3: cannot import cloud-init \(No module named 'cloudinit'\); \/usr\/bin\/python3: cannot import cloud-init/)
  })
})
