/**
 * Text that came from outside (a Vmfile's bytes, a key name, a guest's answer) is shown to
 * people through this, so that it cannot move the cursor, recolour or clear the terminal, or
 * reorder what is shown (bidirectional overrides, as in "trojan source"). Pure.
 */

/**
 * C0 controls but tab and newline, DEL, C1 controls (ESC's one-byte form CSI among them), line
 * and paragraph separators, bidirectional embeddings, overrides and isolates, and a byte-order mark.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/g

/** True when `text` holds any character printable() would escape, or a tab or newline. */
export function hasControlCharacter(text: string): boolean {
  return /[\t\n]/.test(text) || new RegExp(UNPRINTABLE.source).test(text)
}

/** `text` with each unprintable character written as \xHH or \u{HHHH}; tabs and newlines kept. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeCharacter)
}

/** Like printable(), on one line: newlines (and CRs) are escaped too. */
export function printableLine(text: string): string {
  return printable(text).replaceAll('\n', '\\n')
}

function escapeCharacter(character: string): string {
  const code = character.codePointAt(0)!
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
}
