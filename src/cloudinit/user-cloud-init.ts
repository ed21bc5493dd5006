/**
 * Loads the user's own cloud-config (the Vmfile's `cloud_init`) as plain data for
 * mergeUserConfig: inline as the Vmfile gives it, or read from a `#cloud-config` file.
 */
import {readFile} from 'node:fs/promises'

import {LineCounter, parseDocument} from 'yaml'

import {VmError} from '../errors.js'
import {toPlain} from '../vmfile/plain-value.js'
import type {UserCloudInit} from '../vmfile/types.js'
import {describeValue, isRecord} from './plain-data.js'

/** cloud-init's marker for cloud-config; `#cloud-config-archive` and the like are other formats. */
const HEADER = /^#cloud-config[ \t\r]*$/
const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp'

/** The user's cloud-config as a map of plain data. Throws USER_CLOUD_INIT_* VmErrors. */
export async function loadUserCloudInit(source: UserCloudInit): Promise<Record<string, unknown>> {
  if (source.kind === 'inline') return toPlain(source.config) as Record<string, unknown>
  return parseUserCloudConfig(await readUserFile(source.path), source.path)
}

/**
 * Parses the text of a `#cloud-config` file; `path` names it in messages. Only cloud-config is
 * merged: a shell script, MIME multi-part, `#include` list or jinja template cannot be combined
 * with vm's config key by key.
 */
export function parseUserCloudConfig(text: string, path: string): Record<string, unknown> {
  const firstLine = text.split('\n', 1)[0]!
  if (!HEADER.test(firstLine)) {
    throw invalid(`${path} does not start with the line #cloud-config: its first line is ${describeValue(firstLine)}.`, {
      hint: 'vm merges only #cloud-config files with its own config (not shell scripts, MIME multi-part, #include or jinja templates). Make the first line exactly #cloud-config.',
    })
  }
  const lineCounter = new LineCounter()
  // YAML 1.1 as cloud-init (PyYAML) reads it: yes/no/on/off are booleans, 0755 is octal. Dates
  // stay text: cloud-init hands such values on as text, and a Date would come back out of
  // renderUserData as a full timestamp.
  const doc = parseDocument(text, {
    version: '1.1',
    lineCounter,
    prettyErrors: false,
    customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== TIMESTAMP_TAG),
  })
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const {line, col} = lineCounter.linePos(error.pos[0])
      return `${path}:${line}:${col} ${error.message}`
    })
    throw invalid(problems[0]!, {
      detail: problems.length > 1 ? problems.slice(1).join('\n') : undefined,
      hint: 'Fix the YAML; vm reads it as YAML 1.1, like cloud-init.',
    })
  }
  let config: unknown
  try {
    config = toPlain(doc.toJS())
  } catch (error) {
    // yaml refuses aliases that would expand to a huge document ("billion laughs").
    throw invalid(`${path}: ${(error as Error).message}`, {})
  }
  // A file with only the #cloud-config line is an empty config, as for cloud-init.
  if (config === null || config === undefined) return {}
  if (!isRecord(config)) {
    throw invalid(`${path}: expected a map of cloud-config keys (packages, runcmd, ...) at the top level, found ${describeValue(config)}.`, {})
  }
  return config
}

async function readUserFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new VmError(`The cloud-config file ${path} (cloud_init in the Vmfile) does not exist.`, {
        code: 'USER_CLOUD_INIT_MISSING',
        exitCode: 2,
        hint: 'Create it, or correct the path given as cloud_init in the Vmfile.',
        cause: error,
      })
    }
    throw new VmError(`Cannot read the cloud-config file ${path} (cloud_init in the Vmfile): ${(error as Error).message}`, {
      code: 'USER_CLOUD_INIT_UNREADABLE',
      exitCode: 2,
      cause: error,
    })
  }
}

function invalid(message: string, options: {detail?: string; hint?: string}): VmError {
  return new VmError(message, {code: 'USER_CLOUD_INIT_INVALID', exitCode: 2, ...options})
}
