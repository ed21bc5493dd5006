/** Quotes argv so that a person can paste it into a POSIX shell and run the same command. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ')
}

function quoteWord(word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) return word
  // Inside single quotes nothing is special except the quote itself, which we close, escape, reopen.
  return `'${word.replaceAll("'", `'\\''`)}'`
}
