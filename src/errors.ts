/**
 * Errors meant for people. Every failure a user can act on is a VmError with a stable code,
 * a message that says what went wrong and where, and a hint that names the command that fixes it.
 * The base command is the only place that prints them (see base-command.ts).
 */
import {printable} from './ui/printable.js'

export type VmErrorOptions = {
  code: string
  /** The next thing to do, ideally a command to run. */
  hint?: string
  /** Extra lines shown under the message (a tool's stderr, a list of problems). */
  detail?: string
  /** Process exit status: 1 for failures, 2 for usage and Vmfile errors, 130 for interrupts. */
  exitCode?: number
  cause?: unknown
}

export class VmError extends Error {
  readonly code: string
  readonly hint?: string
  readonly detail?: string
  readonly exitCode: number

  constructor(message: string, options: VmErrorOptions) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.code = options.code
    this.hint = options.hint
    this.detail = options.detail
    this.exitCode = options.exitCode ?? 1
  }
}

/** The user asked to stop (Ctrl-C). Never reworded, so it always exits 130. */
export class InterruptedError extends VmError {
  constructor() {
    super('Interrupted.', {code: 'INTERRUPTED', exitCode: 130})
  }
}

/**
 * A write that failed for lack of space (ENOSPC from our own files, "No space left on device"
 * from a tool): what the user reads instead of a stack trace. WHERE names the file or tool.
 */
export function diskFullError(where: string, cause: unknown): VmError {
  const folder = where.startsWith('/') ? where.slice(0, Math.max(1, where.lastIndexOf('/'))) : undefined
  return new VmError(`The disk is full: ${where} could not be written.`, {
    code: 'DISK_FULL',
    hint: `Free space${folder ? ` on the disk that holds ${folder} (\`df -h ${folder}\`)` : ' (`df -h`)'}; \`vm box prune\` removes unused boxes. Then run the command again.`,
    cause,
  })
}

/** Renders an error the way every command prints it: message, detail, then the hint. */
export function renderError(error: VmError): string {
  const lines = [`Error: ${error.message}`]
  if (error.detail) lines.push(error.detail)
  if (error.hint) lines.push(`Hint: ${error.hint}`)
  // Messages quote paths, names and output that may come from a Vmfile, a box or a guest.
  return printable(lines.join('\n'))
}
