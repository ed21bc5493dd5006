import {access, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {VmError} from '../errors.js'
import type {Runner} from '../exec/runner.js'
import {gpgvArgs, judgeGpgvStatus, sqopArgs, type SignedInput, type SignatureVerdict} from './signature.js'
import {createWorkDir} from './store.js'

export type VerifySignatureOptions = {
  readonly runner: Runner
  /** The box cache root: the files the verifier reads are written into its tmp/ for the call. */
  readonly root: string
  /** The binary OpenPGP key file that must have signed it. */
  readonly keyPath: string
  /** For messages: the checksum file's URL, and the detached signature's. */
  readonly checksumUrl: string
  readonly signatureUrl?: string
  readonly signal?: AbortSignal
}

/** The text the digests may be read from, and whether a verifier vouched for it. */
export type VerifiedText = {readonly content: Buffer; readonly checked: boolean}

/**
 * Checks the distribution's signature over a checksum file with gpgv, else sqop. `signature` is the
 * detached signature's bytes; undefined means `content` is clear-signed, and then only the text
 * the signature covers is returned (a line outside it counts for nothing).
 *
 * Throws BOX_SIGNATURE_BAD when the signature is not a good one by the key (changed, made by
 * another key, expired or revoked), and BOX_SIGNATURE_KEY_MISSING when vm's key file is gone. When
 * neither tool is installed it returns the content unchecked (`checked: false`) and the caller
 * warns: the checksum file still came over https.
 */
export async function verifySignature(content: Buffer, signature: Buffer | undefined, options: VerifySignatureOptions): Promise<VerifiedText> {
  await access(options.keyPath).catch((error: unknown) => {
    throw new VmError(`The key ${options.keyPath} that signs ${options.checksumUrl} is missing.`, {
      code: 'BOX_SIGNATURE_KEY_MISSING',
      cause: error,
      hint: "vm's installation is incomplete: reinstall it (the keys ship in its boxes/keys/ folder).",
    })
  })
  const dir = await createWorkDir(options.root)
  try {
    const home = join(dir, 'gnupg')
    await mkdir(home, {mode: 0o700})
    const data = join(dir, 'checksums')
    await writeFile(data, content, {mode: 0o600})
    const input: SignedInput = signature
      ? {kind: 'detached', signature: await written(join(dir, 'signature'), signature), data}
      : {kind: 'inline', file: data, output: join(dir, 'signed')}
    const verdict = await runVerifier(input, home, options)
    if (verdict === 'no-tool') return {content, checked: false}
    if (!verdict.verdict.ok) throw badSignature(verdict.verdict.reason, verdict.output, options)
    return {content: verdict.signed ?? content, checked: true}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

type Ran = {readonly verdict: SignatureVerdict; readonly output: string; readonly signed?: Buffer}

async function runVerifier(input: SignedInput, home: string, options: VerifySignatureOptions): Promise<Ran | 'no-tool'> {
  const {runner, keyPath, signal} = options
  try {
    const result = await runner.run('gpgv', gpgvArgs(keyPath, input, home), {okExitCodes: [0, 1, 2], signal})
    const verdict = judgeGpgvStatus(result.stdout)
    const signed = verdict.ok && input.kind === 'inline' ? await readFile(input.output) : undefined
    return {verdict, output: result.stderr, ...(signed ? {signed} : {})}
  } catch (error) {
    if (!isNotInstalled(error)) throw error
  }
  try {
    const stdin = input.kind === 'detached' ? input.data : input.file
    const result = await runner.run('sqop', sqopArgs(keyPath, input), {inputFile: stdin, okExitCodes: [0, 1, 3], signal})
    if (result.exitCode !== 0) return {verdict: {ok: false, reason: `is not a good signature by the key in ${basename(keyPath)}`}, output: result.stderr}
    const signed = input.kind === 'inline' ? Buffer.from(`${result.stdout}\n`) : undefined
    return {verdict: {ok: true, fingerprint: ''}, output: result.stderr, ...(signed ? {signed} : {})}
  } catch (error) {
    if (!isNotInstalled(error)) throw error
  }
  return 'no-tool'
}

/** The warning when no verifier is installed: what was not checked, and the package that checks it. */
export function noVerifierWarning(checksumUrl: string): string {
  return (
    `Warning: the signature of ${checksumUrl} was not checked: neither gpgv nor sqop is installed ` +
    '(`sudo apt-get install gpgv`). Relying on https alone.'
  )
}

function badSignature(reason: string, output: string, options: VerifySignatureOptions): VmError {
  const signed = options.signatureUrl ? `${options.signatureUrl}, ` : ''
  const trimmed = output.trim()
  return new VmError(`The checksum file ${options.checksumUrl} failed its signature check: the signature (${signed}checked against ${basename(options.keyPath)}) ${reason}.`, {
    code: 'BOX_SIGNATURE_BAD',
    detail: trimmed ? trimmed.replace(/^(?=.)/gm, '  ') : undefined,
    hint:
      'Nothing was downloaded or cached. The file was changed on the server or on the way, or the distribution ' +
      'now signs with a new key (then a newer vm knows it). Do not use this box until it passes.',
  })
}

function isNotInstalled(error: unknown): boolean {
  return error instanceof VmError && error.code === 'TOOL_NOT_INSTALLED'
}

async function written(path: string, data: Buffer): Promise<string> {
  await writeFile(path, data, {mode: 0o600})
  return path
}
