/**
 * Exclude patterns of an rsync synced folder. Vagrant hands `rsync__exclude` to rsync, so users
 * bring rsync patterns; we implement the part of rsync's rules that exclude lists use, and apply
 * it ourselves (in the host walk, the incremental sync and the watcher) instead of translating it
 * to GNU tar's --exclude: tar's matching (anchoring, whether `*` crosses `/`, FNM_LEADING_DIR tied
 * to recursion) differs from rsync's and from version to version, and the watcher needs a matcher
 * in TypeScript anyway. One matcher means the watcher ignores exactly what the copy leaves out.
 *
 * The rules (relative paths use `/`, no leading `./`):
 * - `name`        no `/`: matches an entry with that name at any depth (`*.log`, `.git`).
 * - `a/b`         an inner `/`: matches the end of the path at a component boundary
 *                 (`a/b` matches `a/b` and `x/a/b`).
 * - `/a/b`        a leading `/`: anchored at the folder's root only.
 * - `dir/`        a trailing `/`: directories only.
 * - `*` any run of characters except `/`; `?` one character except `/`; `[...]` a class
 *   (`[!...]`/`[^...]` negated); `**` anything, `/` included; `\x` a literal x.
 * - An excluded directory excludes everything under it.
 * Not supported (rsync filter syntax beyond excludes): `!`, `+ `/`- ` prefixes, `***`.
 */

/** True when the entry at REL (relative to the folder; '' is the folder itself) is left out. */
export type ExcludeMatcher = (rel: string, isDir: boolean) => boolean

/**
 * Always left out, at any depth: `.vm/` holds vm's state and the project's private key, and a
 * nested project's `.vm/` holds its own (Vagrant excludes `.vagrant/` the same, unanchored, way).
 * Any type, not only directories, so there is no way to smuggle a file of that name either.
 */
export const BUILTIN_EXCLUDES: readonly string[] = ['.vm']

type Rule = {
  readonly regex: RegExp
  readonly dirOnly: boolean
  /** Matched against the last component only (patterns without an inner `/` or `**`). */
  readonly nameOnly: boolean
}

export function compileExcludes(patterns: readonly string[]): ExcludeMatcher {
  const rules = [...BUILTIN_EXCLUDES, ...patterns].map(compileRule).filter((rule) => rule !== undefined)
  const matchesOne = (path: string, isDir: boolean): boolean =>
    rules.some((rule) => (!rule.dirOnly || isDir) && rule.regex.test(rule.nameOnly ? path.slice(path.lastIndexOf('/') + 1) : path))
  return (rel, isDir) => {
    if (rel === '') return false
    // Every ancestor is a directory: a pattern that excludes one excludes what lies under it.
    for (let slash = rel.indexOf('/'); slash !== -1; slash = rel.indexOf('/', slash + 1)) {
      if (matchesOne(rel.slice(0, slash), true)) return true
    }
    return matchesOne(rel, isDir)
  }
}

function compileRule(pattern: string): Rule | undefined {
  const dirOnly = pattern.endsWith('/')
  let body = pattern.replace(/\/+$/, '')
  const anchored = body.startsWith('/')
  body = body.replace(/^\/+/, '')
  if (body === '') return undefined
  const nameOnly = !anchored && !body.includes('/') && !body.includes('**')
  const source = globToRegExp(body)
  // The `s` flag: file names may contain newlines, and `**` must cross them too.
  const regex = nameOnly || anchored ? new RegExp(`^${source}$`, 's') : new RegExp(`(?:^|/)${source}$`, 's')
  return {regex, dirOnly, nameOnly}
}

/** rsync's wildcards as a regular expression source (no anchors). */
export function globToRegExp(glob: string): string {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') {
        while (glob[i + 1] === '*') i++
        out += '.*'
      } else {
        out += '[^/]*'
      }
    } else if (c === '?') {
      out += '[^/]'
    } else if (c === '[') {
      const end = classEnd(glob, i)
      if (end === -1) {
        out += '\\['
      } else {
        out += bracketClass(glob.slice(i + 1, end))
        i = end
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRegExp(glob[++i]!)
    } else {
      out += escapeRegExp(c)
    }
  }
  return out
}

/** Index of the `]` closing the class that opens at START, or -1 (then `[` is literal). */
function classEnd(glob: string, start: number): number {
  let i = start + 1
  if (glob[i] === '!' || glob[i] === '^') i++
  // A `]` right after the opening (or the negation) is a member, as in fnmatch.
  if (glob[i] === ']') i++
  for (; i < glob.length; i++) {
    if (glob[i] === '\\') i++
    else if (glob[i] === ']') return i
  }
  return -1
}

function bracketClass(inner: string): string {
  let negate = false
  if (inner.startsWith('!') || inner.startsWith('^')) {
    negate = true
    inner = inner.slice(1)
  }
  let members = ''
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!
    if (c === '\\' && i + 1 < inner.length) members += `\\${inner[++i]}`
    else if (c === '-' && i > 0 && i < inner.length - 1) members += '-'
    else members += /[\w]/.test(c) ? c : `\\${c}`
  }
  // A class never matches `/`, as with fnmatch's FNM_PATHNAME.
  return `(?!/)[${negate ? '^' : ''}${members}]`
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c
}
