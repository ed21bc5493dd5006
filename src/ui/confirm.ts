import {createInterface} from 'node:readline/promises'

import {VmError} from '../errors.js'

/**
 * Asks QUESTION on the terminal and throws unless the answer is yes. Without a terminal there is
 * no one to ask: that is a usage error whose hint is the command with --force (options.forced).
 */
export async function confirmOrThrow(question: string, options: {verb: string; forced: string; declined: string}): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new VmError(`Refusing to ${options.verb} without confirmation when not run from a terminal.`, {code: 'CONFIRMATION_NEEDED', exitCode: 2, hint: `Run \`${options.forced}\`.`})
  }
  if (!(await askYesNo(question))) throw new VmError(options.declined, {code: 'DECLINED', exitCode: 1})
}

/** Asks QUESTION on the terminal (stderr, so stdout stays the command's output); true for y or yes. */
export async function askYesNo(question: string): Promise<boolean> {
  const prompt = createInterface({input: process.stdin, output: process.stderr})
  const answer = await prompt.question(`${question} [y/N] `).finally(() => prompt.close())
  return /^y(es)?$/i.test(answer.trim())
}
