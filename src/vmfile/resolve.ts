/**
 * The whole pure pipeline, parse → fill defaults → validate, for callers that already have
 * the text (load.ts, tests, a future `vm validate --stdin`).
 */
import type {Vmfile} from './types.js'
import {fillDefaults, type Env} from './defaults.js'
import {parseVmfile} from './parse.js'
import {hasErrors, sortProblems, type Problem} from './problem.js'
import {validateVmfile} from './validate.js'

export type Resolved = {
  /** Present only when there is no error. */
  readonly vmfile?: Vmfile
  /** Syntax problems alone when the YAML is broken; otherwise every problem, in file order. */
  readonly problems: readonly Problem[]
}

/**
 * Resolves a Vmfile's text. `path` must be absolute (it is recorded in the result and relative
 * box paths resolve against its folder); `env` supplies VM_ACCELERATOR. Never throws for
 * mistakes in the text. Stops after parsing when the YAML has errors, since positions and
 * values of a broken document would mislead.
 */
export function resolveVmfile(source: string, path: string, env: Env): Resolved {
  const parsed = parseVmfile(source)
  if (hasErrors(parsed.problems)) return {problems: parsed.problems}
  const validated = validateVmfile(parsed, fillDefaults(parsed.raw, env), path)
  // YAML warnings (such as an unknown tag) are kept alongside the Vmfile's own.
  return {...validated, problems: sortProblems([...parsed.problems, ...validated.problems])}
}
