import {appendFile, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {VmError} from '../errors.js'
import {BOX_NAME_PATTERN} from '../vmfile/schema.js'

export default class Init extends VmCommand {
  static override summary = 'Write a commented Vmfile in the current folder.'
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init --box ubuntu-24.04']
  static override flags = {
    box: Flags.string({summary: 'The box the Vmfile starts with.', default: 'debian-12'}),
    force: Flags.boolean({char: 'f', summary: 'Overwrite an existing Vmfile.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Init)
    if (!BOX_NAME_PATTERN.test(flags.box)) {
      throw new VmError(`--box ${flags.box} is not a box name.`, {code: 'USAGE', exitCode: 2, hint: 'Box names look like debian-12 or ubuntu-24.04.'})
    }
    const template = await readFile(new URL('../../templates/Vmfile', import.meta.url), 'utf8')
    const target = join(process.cwd(), 'Vmfile')
    try {
      await writeFile(target, template.replace(/^box: .*$/m, `box: ${flags.box}`), {flag: flags.force ? 'w' : 'wx'})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      throw new VmError('A Vmfile already exists here.', {code: 'VMFILE_EXISTS', hint: 'Edit it, or run `vm init --force` to start over.'})
    }
    await ignoreStateFolder(process.cwd())
    this.log(`Wrote ${target}. Next: \`vm up\`.`)
  }
}

/** Adds `.vm/` to the project's .gitignore: keys and machine state never belong in git. */
async function ignoreStateFolder(dir: string): Promise<void> {
  const path = join(dir, '.gitignore')
  const existing = await readFile(path, 'utf8').catch(() => '')
  if (existing.split('\n').some((line) => ['.vm', '.vm/', '/.vm', '/.vm/'].includes(line.trim()))) return
  await appendFile(path, `${existing && !existing.endsWith('\n') ? '\n' : ''}# vm's per-project state (keys, known hosts)\n.vm/\n`)
}
