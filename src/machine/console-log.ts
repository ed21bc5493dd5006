import {open} from 'node:fs/promises'

/** The last LINES lines of console text, without terminal escapes or stray control characters. Pure. */
export function consoleTail(text: string, lines: number): string[] {
  /* eslint-disable no-control-regex -- matching control characters is the point here */
  const clean = text
    // CSI and OSC sequences the guest's boot loader and systemd paint the console with.
    .replaceAll(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replaceAll(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replaceAll(/\x1b[@-_]/g, '')
    .replaceAll('\r\n', '\n')
    .replaceAll(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
  /* eslint-enable no-control-regex */
  return clean
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .slice(-lines)
}

/** Reads the end of a serial console log; undefined when it cannot be read (remote host, permissions). */
export async function readConsoleTail(path: string, lines = 25): Promise<string[] | undefined> {
  try {
    const handle = await open(path, 'r')
    try {
      const {size} = await handle.stat()
      const length = Math.min(size, 64 * 1024)
      const buffer = Buffer.alloc(length)
      await handle.read(buffer, 0, length, size - length)
      return consoleTail(buffer.toString('utf8'), lines)
    } finally {
      await handle.close()
    }
  } catch {
    return undefined
  }
}
