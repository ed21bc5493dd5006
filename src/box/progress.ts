import cliProgress from 'cli-progress'

/**
 * How a long transfer reports itself. One reporter per transfer: start, any number of updates, finish.
 * Reporters only display; they never throw and never decide anything.
 */
export interface ProgressReporter {
  /**
   * `label` is the whole subject, e.g. "Downloading debian-12"; `totalBytes` when the size is known;
   * `startAt` when a resumed transfer already has that many bytes: the display starts there, and
   * the rate and ETA count only the bytes that arrive from now on.
   */
  start(label: string, totalBytes?: number, startAt?: number): void
  /**
   * `bytes` is the running total so far (not a delta), kept bytes included. It may go down when
   * a transfer has to start over; only increases count towards the rate.
   */
  update(bytes: number): void
  /** The transfer succeeded. */
  finish(): void
  /** The transfer failed or was interrupted: tidy the display, print no summary (the error follows). */
  fail?(): void
  /**
   * A line for the user while the transfer runs ("connection lost; resuming"). Reporters that draw
   * on the terminal print it above their bar, so the two do not overwrite each other.
   */
  note?(line: string): void
}

/** Prints nothing (tests, --quiet, --json). */
export const silentProgress: ProgressReporter = {start() {}, update() {}, finish() {}}

export type ProgressOutput = {
  write(text: string): unknown
  readonly isTTY?: boolean
}

export type ProgressOptions = {
  /** Milliseconds since some epoch; injectable so tests control time. */
  now?: () => number
  /** Minimum time between two plain lines. */
  intervalMs?: number
}

/** The reporter that suits `output` (usually process.stderr): a bar on a terminal, plain lines in logs and CI. */
export function createProgressReporter(
  output: ProgressOutput = process.stderr,
  options: ProgressOptions = {},
): ProgressReporter {
  return output.isTTY ? new BarProgress(output as NodeJS.WritableStream) : new LineProgress(output, options)
}

/**
 * Plain lines for logs: `Downloading debian-12: 45% (81 MiB of 180 MiB, 12.3 MiB/s, 8 s left)` at
 * most every intervalMs (2 s), then one summary line when done. The rate is the average since the
 * start: it is steadier than an instantaneous one and nobody watches a log in real time.
 */
export class LineProgress implements ProgressReporter {
  private label = ''
  private total: number | undefined
  private bytes = 0
  private startAt = 0
  private received = new Received()
  private startedAt = 0
  private lastLineAt = 0
  private readonly now: () => number
  private readonly intervalMs: number

  constructor(
    private readonly output: ProgressOutput,
    options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now
    this.intervalMs = options.intervalMs ?? 2000
  }

  start(label: string, totalBytes?: number, startAt = 0): void {
    this.label = label
    this.total = totalBytes
    this.bytes = this.startAt = startAt
    this.received = new Received(startAt)
    this.startedAt = this.lastLineAt = this.now()
  }

  update(bytes: number): void {
    this.bytes = bytes
    this.received.update(bytes)
    const now = this.now()
    if (now - this.lastLineAt < this.intervalMs) return
    this.lastLineAt = now
    const speed = this.rate(now)
    const rate = `${formatBytes(speed, 1)}/s`
    const line = this.total
      ? `${Math.floor((bytes / this.total) * 100)}% (${formatBytes(bytes)} of ${formatBytes(this.total)}, ${rate}${eta(this.total - bytes, speed)})`
      : `${formatBytes(bytes)} (${rate})`
    this.output.write(`${this.label}: ${line}\n`)
  }

  finish(): void {
    const now = this.now()
    const seconds = (now - this.startedAt) / 1000
    const took = seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`
    const rate = `${formatBytes(this.rate(now), 1)}/s`
    const resumed = this.startAt > 0 ? `, resumed at ${formatBytes(this.startAt)}` : ''
    this.output.write(`${this.label}: done, ${formatBytes(this.bytes)} in ${took} (${rate})${resumed}\n`)
  }

  private rate(now: number): number {
    const seconds = (now - this.startedAt) / 1000
    return seconds > 0 ? this.received.bytes / seconds : 0
  }
}

/** Counts the bytes that arrived, from running totals that may start above zero or go back to it. */
class Received {
  bytes = 0
  constructor(private last = 0) {}

  update(total: number): void {
    if (total > this.last) this.bytes += total - this.last
    this.last = total
  }
}

/** ", 8 s left" when the rate allows a guess. */
function eta(remaining: number, rate: number): string {
  if (!(rate > 0) || remaining <= 0) return ''
  return `, ${formatDuration(remaining / rate)} left`
}

/** "8 s", "2 min 05 s", "1 h 03 min": coarse, as a remaining time should be. */
export function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds)
  if (whole < 60) return `${whole} s`
  const minutes = Math.floor(whole / 60)
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
}

/** A cli-progress bar with bytes, rate and ETA, redrawn in place on a terminal. */
class BarProgress implements ProgressReporter {
  private bar: cliProgress.SingleBar | undefined
  private startedAt = 0
  private received = new Received()

  constructor(private readonly stream: NodeJS.WritableStream) {}

  start(label: string, totalBytes?: number, startAt = 0): void {
    const known = totalBytes !== undefined && totalBytes > 0
    this.bar = new cliProgress.SingleBar({
      stream: this.stream,
      // Without a size there is no bar, percentage or ETA to draw: show the bytes and the rate.
      format: known
        ? '{label} [{bar}] {percentage}% | {done} of {size} | {speed} | ETA {eta_formatted}'
        : '{label} {done} | {speed}',
      hideCursor: true,
      // Ctrl-C belongs to the command (an AbortSignal, then fail()); a SIGINT listener here would change that.
      gracefulExit: false,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 5,
    }, cliProgress.Presets.shades_classic)
    const payload = {label, done: formatBytes(startAt), size: formatBytes(totalBytes ?? 0), speed: '0 B/s'}
    // cli-progress's ETA works from the changes of the value, so starting at startAt keeps it honest.
    this.bar.start(known ? totalBytes : 1, startAt, payload)
    this.received = new Received(startAt)
    this.startedAt = Date.now()
  }

  update(bytes: number): void {
    this.received.update(bytes)
    const seconds = (Date.now() - this.startedAt) / 1000
    const speed = `${formatBytes(seconds > 0 ? this.received.bytes / seconds : 0, 1)}/s`
    this.bar?.update(bytes, {done: formatBytes(bytes), speed})
  }

  finish(): void {
    this.bar?.stop()
    this.bar = undefined
  }

  note(line: string): void {
    // Erase the bar's line, print ours, and draw the bar again below it.
    this.stream.write(`\r\u001B[2K${line}\n`)
    this.bar?.render()
  }

  fail(): void {
    // stop() leaves the bar as drawn and gives the cursor back; the error then starts on its own line.
    this.bar?.stop()
    this.bar = undefined
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/**
 * Binary units, as image sizes are usually quoted: "180 MiB", "1.4 GiB". Values under 10 get one
 * decimal; `decimals` forces a count (rates read better as "12.3 MiB/s").
 */
export function formatBytes(bytes: number, decimals?: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  if (unit === 0) return `${Math.round(value)} B`
  const places = decimals ?? (value < 10 ? 1 : 0)
  return `${value.toFixed(places)} ${UNITS[unit]}`
}
