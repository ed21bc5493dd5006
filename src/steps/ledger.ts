/**
 * What this vm process has made so far and not taken back, across all its machines: what a second
 * Ctrl-C (which exits at once, without undoing) must tell the user is left behind.
 */
export type LedgerEntry = {
  /** The machine the thing belongs to. */
  readonly machine: string
  /** The thing itself, as a noun: "overlay volume web.qcow2". */
  readonly made: string
}

export class CreationLedger {
  private readonly entries: LedgerEntry[] = []

  /** Recorded before the thing is made: a step cut off halfway may already have made it. */
  record(entry: LedgerEntry): void {
    this.entries.push(entry)
  }

  /** The thing was undone (removed) or never made. */
  forget(entry: LedgerEntry): void {
    const index = this.entries.findIndex((e) => e.machine === entry.machine && e.made === entry.made)
    if (index !== -1) this.entries.splice(index, 1)
  }

  remaining(): readonly LedgerEntry[] {
    return [...this.entries]
  }
}

/**
 * The lines a second Ctrl-C prints: what is left, per machine, and the command that removes it.
 * A machine that came up completely is left too: it is what the user asked for, and the command
 * still names it, since its setup may not be finished.
 */
export function describeLeftovers(entries: readonly LedgerEntry[]): string[] {
  if (entries.length === 0) return ['Nothing this command made is left behind.']
  const machines = [...new Set(entries.map((e) => e.machine))]
  return [
    'Left behind by this command:',
    ...machines.map((m) => `  ${m}: ${entries.filter((e) => e.machine === m).map((e) => e.made).join(', ')}`),
    `\`vm destroy -f ${machines.join(' ')}\` removes them (\`vm up\` also clears leftover volumes before it creates a machine).`,
  ]
}
