/**
 * Reading the kernel's table of file locks (/proc/locks), to name the process that holds a lock:
 * the kernel's word, not a PID file that can outlive its process.
 */

/** One flock(2) lock: who holds it and on which file (device numbers and inode). */
export type FlockEntry = {readonly pid: number; readonly major: number; readonly minor: number; readonly inode: number}

/**
 * Parses /proc/locks, keeping FLOCK locks that are held (lines with "->" are waiters). A line
 * reads `8: FLOCK  ADVISORY  WRITE 8376 fe:00:2154115 0 EOF`: major and minor in hex, inode in
 * decimal.
 */
export function parseFlockEntries(text: string): FlockEntry[] {
  const entries: FlockEntry[] = []
  for (const line of text.split('\n')) {
    const match = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/i.exec(line)
    if (!match) continue
    entries.push({pid: Number(match[1]), major: Number.parseInt(match[2]!, 16), minor: Number.parseInt(match[3]!, 16), inode: Number(match[4])})
  }
  return entries
}

/** Splits a stat() device number the way glibc's major()/minor() do. */
export function splitDevice(dev: number): {major: number; minor: number} {
  const big = BigInt(dev)
  const major = Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & 0xfffff000n))
  const minor = Number((big & 0xffn) | ((big >> 12n) & 0xffffff00n))
  return {major, minor}
}

/** The PID holding a flock on the file with DEV and INODE, if any. */
export function findFlockHolder(entries: readonly FlockEntry[], dev: number, inode: number): number | undefined {
  const {major, minor} = splitDevice(dev)
  return entries.find((e) => e.inode === inode && e.major === major && e.minor === minor)?.pid
}

/**
 * A command line from /proc/PID/cmdline (NUL-separated), as a person would type it: vm's own
 * entry point (`node .../bin/run.js up web`) reads `vm up web`.
 */
export function describeCommandLine(cmdline: string): string {
  const argv = cmdline.split('\0').filter((arg, i, all) => arg !== '' || i < all.length - 1)
  const script = argv[1] ?? ''
  if (/(^|\/)node$/.test(argv[0] ?? '') && /(^|\/)(run\.js|vm)$/.test(script)) return ['vm', ...argv.slice(2)].join(' ')
  return argv.join(' ')
}
