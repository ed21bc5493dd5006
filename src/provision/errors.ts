import {VmError, type VmErrorOptions} from '../errors.js'

/**
 * An error a provisioner raises that already names its machine and provisioner (and has its own
 * code and hint): runProvisioners passes it on unchanged instead of wrapping it.
 */
export class ProvisionerError extends VmError {
  constructor(
    machine: string,
    readonly label: string,
    problem: string,
    options: VmErrorOptions,
  ) {
    super(`${machine}: provisioner ${label}: ${problem}`, options)
  }
}

/**
 * A provisioner failed: the list stopped there. The machine is kept as it is, so the user can
 * look at it, fix the provisioner, and run the provisioners again.
 */
export class ProvisionFailedError extends VmError {
  constructor(
    readonly machine: string,
    readonly label: string,
    /** The provisioner's exit status; undefined when it failed before or around running (host tar, ...). */
    readonly status: number | undefined,
    options: {detail?: string; hint?: string; cause?: unknown} = {},
  ) {
    const what = status === undefined ? `failed: ${causeMessage(options.cause)}` : `exited with status ${status}`
    super(`${machine}: provisioner ${label} ${what}`, {
      code: 'PROVISION_FAILED',
      detail: options.detail ?? (options.cause instanceof VmError ? options.cause.detail : undefined),
      hint: options.hint ?? `The machine is kept as it is. Fix the provisioner, then run \`vm provision ${machine}\` to run its provisioners again.`,
      cause: options.cause,
    })
  }
}

function causeMessage(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}
