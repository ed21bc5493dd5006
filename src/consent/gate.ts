/**
 * The one consent mechanism. What a Vmfile reaches beyond its project (reach.ts) needs, before
 * anything is made: --allow on this command, or a `vm allow` recorded for this very Vmfile (its
 * digest, see digest.ts), or a yes on the terminal (recorded as `vm allow` would). Without any of
 * them vm stops with exit 2, naming each item and the command that allows it.
 */
import {shellQuote} from '../exec/shell-quote.js'
import {VmError} from '../errors.js'
import type {Project} from '../machine/project.js'
import type {Output} from '../ui/output.js'
import {readAllowRecord, writeAllowRecord} from './allow-store.js'
import {consentDigest} from './digest.js'
import {inspectReach} from './inspect-reach.js'
import {renderReachItem, type ReachItem} from './reach.js'

export type ConsentOptions = {
  readonly dataDir: string
  /** --allow: this command only, nothing recorded. */
  readonly allowFlag: boolean
  /** Asks the person at the terminal; undefined when there is none. */
  readonly ask?: (question: string) => Promise<boolean>
  readonly out: Output
}

export class ConsentNeededError extends VmError {
  constructor(project: Project, items: readonly ReachItem[], declined = false) {
    super(`${declined ? 'Not allowed' : 'This Vmfile reaches beyond its project, and you have not allowed it'}: ${project.vmfile.path}`, {
      code: 'CONSENT_NEEDED',
      exitCode: 2,
      detail: items.map((item) => `  - ${renderReachItem(item)}`).join('\n'),
      hint: `Nothing was made. If you trust this Vmfile, run \`${shellQuote(['vm', 'allow'])}\` in ${project.dir} (asked again when the Vmfile or a file it names changes), or pass --allow to this command.`,
    })
  }
}

/**
 * Resolves once the user has allowed everything PROJECT's Vmfile reaches (or it reaches nothing),
 * and hands those items to the project's grant, against which each use is checked.
 */
export async function requireConsent(project: Project, options: ConsentOptions): Promise<void> {
  const {items} = await inspectReach(project.vmfile)
  if (items.length === 0) return
  if (!options.allowFlag) {
    const digest = await consentDigest(project.vmfile, items)
    const record = await readAllowRecord(options.dataDir, project.dir)
    if (record?.digest !== digest) {
      if (!options.ask) throw new ConsentNeededError(project, items)
      options.out.warn(`This Vmfile reaches beyond its project (${project.dir}):`)
      for (const item of items) options.out.warn(`  - ${renderReachItem(item)}`)
      if (!(await options.ask('Allow all of this for this Vmfile?'))) throw new ConsentNeededError(project, items, true)
      await recordConsent(project, items, digest, options.dataDir)
    }
  }
  project.grant.allow(items)
}

/** What PROJECT's Vmfile reaches, and whether the user's `vm allow` covers it as it is now (`vm validate`). */
export async function inspectConsent(project: Project, dataDir: string): Promise<{items: readonly ReachItem[]; allowed: boolean}> {
  const {items} = await inspectReach(project.vmfile)
  if (items.length === 0) return {items, allowed: true}
  const record = await readAllowRecord(dataDir, project.dir)
  return {items, allowed: record?.digest === (await consentDigest(project.vmfile, items))}
}

/** `vm allow`: records consent for the Vmfile as it is now; returns the items allowed. */
export async function allowProject(project: Project, dataDir: string): Promise<readonly ReachItem[]> {
  const {items} = await inspectReach(project.vmfile)
  await recordConsent(project, items, await consentDigest(project.vmfile, items), dataDir)
  return items
}

async function recordConsent(project: Project, items: readonly ReachItem[], digest: string, dataDir: string): Promise<void> {
  await writeAllowRecord(dataDir, {project: project.dir, digest, items: items.map(renderReachItem), allowedAt: new Date().toISOString()})
}
