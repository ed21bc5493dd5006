import {appendFile, readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Flags} from '@oclif/core'

import {VmCommand} from '../base-command.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {VmError} from '../errors.js'
import {BOX_NAME_PATTERN} from '../vmfile/schema.js'

export default class Init extends VmCommand {
  static override summary = 'Write a commented Vmfile in the current folder.'
  static override description =
    'Starts from a template in templates/: single (one machine, commented; the default), lab (several machines), docker (a Docker host with the project folder synced and a port forwarded), reference (every key with its default).'
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init --box ubuntu-lts', '<%= config.bin %> init --template lab']
  static override flags = {
    box: Flags.string({summary: 'The box the Vmfile starts with (replaces the template\'s).'}),
    template: Flags.string({char: 't', summary: 'The template to start from: single, lab, docker or reference.', default: 'single'}),
    force: Flags.boolean({char: 'f', summary: 'Overwrite an existing Vmfile.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Init)
    if (flags.box !== undefined && !BOX_NAME_PATTERN.test(flags.box)) {
      throw new VmError(`--box ${flags.box} is not a box name.`, {code: 'USAGE', exitCode: 2, hint: 'Box names look like debian-12 or ubuntu-24.04.'})
    }
    const template = await readTemplate(flags.template)
    const text = flags.box === undefined ? template : template.replaceAll(/^( *)box: .*$/gm, `$1box: ${flags.box}`)
    const target = join(process.cwd(), 'Vmfile')
    try {
      await writeFileAtomic(target, text, 0o644, {replace: flags.force === true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      throw new VmError('A Vmfile already exists here.', {code: 'VMFILE_EXISTS', hint: 'Edit it, or run `vm init --force` to start over.'})
    }
    await ignoreStateFolder(process.cwd())
    this.log(`Wrote ${target}. Next: \`vm up\`.`)
  }
}

/** templates/ at the package root: two levels up from both src/commands/ (tsx) and dist/commands/. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url))

/** The names of the templates (templates/NAME.Vmfile), sorted. */
export async function templateNames(dir: string = TEMPLATES_DIR): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.Vmfile')).map((f) => f.slice(0, -'.Vmfile'.length)).sort()
}

async function readTemplate(name: string): Promise<string> {
  const names = await templateNames()
  if (!names.includes(name)) {
    throw new VmError(`There is no template named ${JSON.stringify(name)}.`, {code: 'USAGE', exitCode: 2, hint: `Templates: ${names.join(', ')}.`})
  }
  return readFile(join(TEMPLATES_DIR, `${name}.Vmfile`), 'utf8')
}

/** Adds `.vm/` to the project's .gitignore: keys and machine state never belong in git. */
async function ignoreStateFolder(dir: string): Promise<void> {
  const path = join(dir, '.gitignore')
  const existing = await readFile(path, 'utf8').catch(() => '')
  if (existing.split('\n').some((line) => ['.vm', '.vm/', '/.vm', '/.vm/'].includes(line.trim()))) return
  await appendFile(path, `${existing && !existing.endsWith('\n') ? '\n' : ''}# vm's per-project state (keys, known hosts)\n.vm/\n`)
}
