/**
 * "Did you mean …?" suggestions for misspelt keys and values, by edit distance.
 */

/**
 * The Damerau–Levenshtein distance (optimal string alignment variant): insertions, deletions,
 * substitutions and swaps of two neighbouring characters each cost 1, so "memroy" is 1 away
 * from "memory". Case-sensitive; callers lower-case first when case should not matter.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j] = distance between the first i characters of a and the first j of b.
  const rows: number[][] = Array.from({length: a.length + 1}, (_, i) =>
    Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1)
      }
      row[j] = best
    }
  }
  return at(a.length, b.length)
}

/**
 * The candidate closest to `word` ignoring case, if it is at most `maxDistance` edits away
 * and the word was not replaced wholesale (distance below the word's length, so "x" does not
 * suggest "box"). Ties go to the earlier candidate. Never returns `word` itself.
 */
export function didYouMean(word: string, candidates: readonly string[], maxDistance = 2): string | undefined {
  const lower = word.toLowerCase()
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    if (candidate === word) continue
    const distance = editDistance(lower, candidate.toLowerCase())
    if (distance > maxDistance || distance >= word.length) continue
    if (!best || distance < best.distance) best = {candidate, distance}
  }
  return best?.candidate
}
