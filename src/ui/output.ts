/** Where commands print. Kept apart from process.stdout so tests and --json can redirect it. */
export type Output = {
  /** Progress and results (stdout). */
  info(line: string): void
  /** Problems that do not stop the command (stderr). */
  warn(line: string): void
}

/** "12.3 s": elapsed times in milestones. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** Output that prefixes every line with a machine's name, so parallel machines stay readable. */
export function machineOutput(out: Output, machine: string): Output {
  return {info: (line) => out.info(`${machine}: ${line}`), warn: (line) => out.warn(`${machine}: ${line}`)}
}
