/**
 * OpenPGP signatures over checksum files: the argv of the two verifiers vm can use and what their
 * answers mean. Pure; verify-signature.ts runs them.
 *
 * gpgv (package gpgv) is preferred: it is small, on most Debian hosts already (apt uses it), and
 * its --status-fd lines say exactly which key made which signature. sqop (package sqop,
 * Sequoia's stateless OpenPGP tool) is the fallback. Both take the key file as the only keyring:
 * gpgv reads no default keyring once --keyring is given, so nothing the user trusts elsewhere
 * counts. Key files are binary (gpgv 2.2 cannot read an armoured keyring).
 */

/** What is verified: a detached signature beside the file, or a clear-signed file whose signed text is written to `output`. */
export type SignedInput =
  | {readonly kind: 'detached'; readonly signature: string; readonly data: string}
  | {readonly kind: 'inline'; readonly file: string; readonly output: string}

/** `gpgv --status-fd 1 --keyring KEY ...`: status lines on stdout, people's words on stderr. */
export function gpgvArgs(keyPath: string, input: SignedInput, homeDir: string): string[] {
  const common = ['--homedir', homeDir, '--status-fd', '1', '--keyring', keyPath]
  return input.kind === 'detached'
    ? [...common, '--', input.signature, input.data]
    : [...common, '--output', input.output, '--', input.file]
}

/**
 * `sqop verify SIG KEY` (the data on stdin) or `sqop inline-verify KEY` (the signed file on stdin,
 * its signed text on stdout). Exit 0: a good signature by the key; 3: none.
 */
export function sqopArgs(keyPath: string, input: SignedInput): string[] {
  return input.kind === 'detached' ? ['verify', '--', input.signature, keyPath] : ['inline-verify', '--', keyPath]
}

export type SignatureVerdict =
  | {readonly ok: true; readonly fingerprint: string}
  | {readonly ok: false; readonly reason: string}

/**
 * Reads gpgv's status lines. Good only when some signature is good and valid (GOODSIG and
 * VALIDSIG) and none is bad: a file that also carries a signature by a key we do not hold (Ubuntu
 * signs with two keys) still passes on the good one, and a good signature cannot cover for a bad
 * one. Expired or revoked keys and expired signatures fail. `reason` follows "the signature ...".
 */
export function judgeGpgvStatus(status: string): SignatureVerdict {
  const lines = status
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('[GNUPG:] '))
    .map((line) => line.slice('[GNUPG:] '.length).split(' '))
  const first = (keyword: string) => lines.find((fields) => fields[0] === keyword)
  const bad = first('BADSIG')
  if (bad) return {ok: false, reason: `does not match the file's content: the file was changed after key ${bad[1]} signed it`}
  const valid = first('VALIDSIG')
  if (first('GOODSIG') && valid) return {ok: true, fingerprint: valid.at(-1) ?? valid[1] ?? ''}
  const expiredKey = first('EXPKEYSIG')
  if (expiredKey) return {ok: false, reason: `was made by key ${expiredKey[1]}, which has expired`}
  const revoked = first('REVKEYSIG')
  if (revoked) return {ok: false, reason: `was made by key ${revoked[1]}, which has been revoked`}
  const expired = first('EXPSIG')
  if (expired) return {ok: false, reason: `by key ${expired[1]} has expired`}
  const unknown = lines.filter((fields) => fields[0] === 'NO_PUBKEY').map((fields) => fields[1])
  if (unknown.length > 0) return {ok: false, reason: `was made by another key (${unknown.join(', ')})`}
  if (first('NODATA') || !first('NEWSIG')) return {ok: false, reason: 'is missing: the file holds no OpenPGP signature'}
  return {ok: false, reason: 'could not be checked'}
}
