/**
 * Checks a cloud-config against cloud-init's own JSON schema, using the cloud-init installed on
 * the host (module `cloudinit.config.schema`), so that mistakes show before a machine boots
 * rather than as warnings deep in the guest's log. Without cloud-init on the host there is no
 * check, and the caller says so.
 */
import {CommandFailedError, CommandTimedOutError, ToolNotInstalledError, type Runner} from '../exec/runner.js'

export type SchemaProblem = {path: string; message: string}
export type SchemaCheck = {available: false; reason: string} | {available: true; problems: SchemaProblem[]}

/**
 * `python3` first (what PATH finds), then the system's: cloud-init is a distribution package
 * installed for /usr/bin/python3, which a pyenv or virtualenv python3 earlier on PATH cannot import.
 */
const INTERPRETERS = ['python3', '/usr/bin/python3'] as const

/**
 * -I (isolated): no script folder or cwd on sys.path, no PYTHON* variables, no user site: a
 * `json.py` or `cloudinit/` committed in the project, or PYTHONPATH pointing into it, is never
 * imported. The runner also starts every child outside the project.
 */
const ISOLATED = '-I'

/** Importing cloud-init and loading its schema takes about half a second; a slow host gets more. */
const TIMEOUT_MS = 60_000

/**
 * Reads the config as JSON on stdin and prints one JSON line. strict=True makes cloud-init raise
 * SchemaValidationError instead of logging; its schema_errors are (path, message) pairs. Newer
 * versions also report deprecations, which are not errors and are left out. Without jsonschema,
 * cloud-init skips validation silently, so that is reported as "no check" rather than "valid".
 */
const SCRIPT = `
import json, sys
def out(result):
    print(json.dumps(result))
    sys.exit(0)
try:
    import cloudinit.version
    from cloudinit.config.schema import SchemaValidationError, get_schema, validate_cloudconfig_schema
except Exception as error:
    out({"available": False, "reason": "cannot import cloud-init (%s)" % error})
try:
    import jsonschema
except Exception:
    out({"available": False, "reason": "cloud-init %s is installed but python3-jsonschema is not" % cloudinit.version.version_string()})
config = json.load(sys.stdin)
try:
    validate_cloudconfig_schema(config, get_schema(), strict=True)
    problems = []
except SchemaValidationError as error:
    problems = [{"path": str(p[0]), "message": str(p[1])} for p in (error.schema_errors or [])]
except Exception as error:
    out({"available": False, "reason": "cloud-init %s failed to check the schema (%s)" % (cloudinit.version.version_string(), error)})
out({"available": True, "problems": problems})
`

const INSTALL_HINT = 'install cloud-init on the host (apt-get install cloud-init) for a full schema check'

/**
 * Validates `config` with the host's cloud-init. Never throws for a host that cannot check;
 * `available: false` says why. Problems are errors only, each at cloud-init's dotted path
 * (`write_files.0`).
 */
export async function checkCloudConfigSchema(runner: Runner, config: Readonly<Record<string, unknown>>): Promise<SchemaCheck> {
  const input = JSON.stringify(config)
  const reasons: string[] = []
  for (const python of INTERPRETERS) {
    const result = await runScript(runner, python, input)
    if (result.available) return result
    reasons.push(`${python}: ${result.reason}`)
  }
  return {available: false, reason: `${reasons.join('; ')}; ${INSTALL_HINT}`}
}

/** One interpreter's answer; an interpreter that is missing, fails or hangs cannot check. */
async function runScript(runner: Runner, python: string, input: string): Promise<SchemaCheck> {
  try {
    const {stdout} = await runner.run(python, [ISOLATED, '-c', SCRIPT], {input, timeoutMs: TIMEOUT_MS})
    return parseResult(stdout)
  } catch (error) {
    if (error instanceof ToolNotInstalledError) return {available: false, reason: 'not installed'}
    if (error instanceof CommandFailedError) return {available: false, reason: `exited with status ${error.result.exitCode}`}
    if (error instanceof CommandTimedOutError) return {available: false, reason: `did not answer within ${TIMEOUT_MS / 1000} s`}
    throw error
  }
}

/** The script's last line of output; anything else is a result we cannot use. */
function parseResult(stdout: string): SchemaCheck {
  const line = stdout.trim().split('\n').at(-1) ?? ''
  try {
    const result = JSON.parse(line) as SchemaCheck
    if (result.available === true && Array.isArray(result.problems)) return result
    if (result.available === false && typeof result.reason === 'string') return result
  } catch {
    // Not JSON: reported below.
  }
  return {available: false, reason: `unexpected output ${JSON.stringify(line.slice(0, 200))}`}
}
