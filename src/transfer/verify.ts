// Verification after a transfer: the remote SIZE against the bytes moved, and, when the server
// offers one, a server-side hash (HASH or an X-command) against a hash computed while the bytes
// streamed through the client (no second read of the data).
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { FtpReplyError, VerifyError } from '../errors.js';
import {
  chooseHashMethod,
  DEFAULT_HASH_ALGORITHMS,
  DEFAULT_HASH_FAMILIES,
  type HashAlgorithm,
  type HashCommandFamily,
  type HashMethod,
} from '../protocol/hash.js';
import { fileHash, selectHashAlgorithm } from '../session/hash.js';
import { fileSizeIfKnown } from '../session/metadata.js';
import type { Session } from '../session/session.js';

/** The object form of the `verify` transfer option (`verify: true` is all defaults). See docs/transfers.md. */
export interface VerifyOptions {
  /** Compare a hash computed by the server when it offers one. Default true. */
  hash?: boolean;
  /** Hash algorithms in order of preference. Default `['SHA-256', 'SHA-512', 'SHA-1', 'MD5', 'CRC32']`. */
  algorithms?: readonly HashAlgorithm[];
  /** Which command families may be used, in order. Default `['HASH', 'X']` (X = XSHA256, XSHA1, XMD5, XCRC…). */
  hashCommands?: readonly HashCommandFamily[];
}

/** What verification did; part of every TransferResult. */
export interface VerifyReport {
  /** `true`: the server's SIZE matched; `'skipped'`: not asked for, or the server could not say. */
  size: true | 'skipped';
  /** Present when a hash was compared (and matched): algorithm, lower-case hex value, command used. */
  hash?: {
    /** The algorithm compared. */
    algorithm: HashAlgorithm;
    /** Its value, lower-case hex (the same locally and on the server). */
    value: string;
    /** The command that asked the server, e.g. `'HASH'` or `'XSHA256'`. */
    command: string;
  };
  /** Why a hash was not compared although verification was asked for. */
  hashSkipped?: string;
}

export const NOT_VERIFIED: VerifyReport = Object.freeze({ size: 'skipped' }) as VerifyReport;

/** Incremental hash of one algorithm. */
export class StreamHasher {
  readonly algorithm: HashAlgorithm;
  readonly #hash: Hash | undefined;
  #crc = 0;

  constructor(algorithm: HashAlgorithm) {
    this.algorithm = algorithm;
    const node = { 'SHA-256': 'sha256', 'SHA-512': 'sha512', 'SHA-1': 'sha1', MD5: 'md5', CRC32: undefined }[algorithm];
    this.#hash = node === undefined ? undefined : createHash(node);
  }

  readonly update = (chunk: Buffer): void => {
    if (this.#hash !== undefined) this.#hash.update(chunk);
    else this.#crc = crc32(chunk, this.#crc);
  };

  /** Lower-case hex (CRC32: 8 digits). Call once. */
  digest(): string {
    return this.#hash !== undefined ? this.#hash.digest('hex') : (this.#crc >>> 0).toString(16).padStart(8, '0');
  }
}

/** The plan made before a transfer: which checks, and the hasher the data must go through. */
export interface VerifyPlan {
  method: HashMethod | undefined;
  hasher: StreamHasher | undefined;
  hashSkipped: string | undefined;
}

/**
 * Chooses the hash method from FEAT and, for HASH, selects the algorithm (OPTS HASH) now, before the
 * transfer. Runs inside the caller's queued task.
 */
export async function planVerify(session: Session, options: true | 'size' | VerifyOptions): Promise<VerifyPlan> {
  const wantHash = options !== 'size' && (options === true || options.hash !== false);
  if (!wantHash) return { method: undefined, hasher: undefined, hashSkipped: 'not asked for' };
  const algorithms = options === true ? DEFAULT_HASH_ALGORITHMS : (options.algorithms ?? DEFAULT_HASH_ALGORITHMS);
  const families = options === true ? DEFAULT_HASH_FAMILIES : (options.hashCommands ?? DEFAULT_HASH_FAMILIES);
  const method = chooseHashMethod(session.features, algorithms, families);
  if (method === undefined)
    return { method: undefined, hasher: undefined, hashSkipped: 'the server offers no usable hash command (FEAT)' };
  try {
    await selectHashAlgorithm(session, method);
  } catch (err) {
    if (!(err instanceof FtpReplyError)) throw err;
    return { method: undefined, hasher: undefined, hashSkipped: refusal(err) };
  }
  return { method, hasher: new StreamHasher(method.algorithm), hashSkipped: undefined };
}

/** "<command> refused: <code> <text>", as VerifyReport.hashSkipped says it. */
function refusal(err: FtpReplyError): string {
  const command = err.command ?? '';
  const verb = command.startsWith('OPTS HASH') ? command : (command.split(' ', 1)[0] ?? '');
  return `${verb} refused: ${err.replyCode} ${err.replyText}`;
}

/**
 * After the transfer: compares SIZE with `expectedSize` and the server's hash with the streamed one.
 * Throws VerifyError on a mismatch. A hash command the server refuses is reported as skipped.
 */
export async function checkVerify(
  session: Session,
  path: string,
  expectedSize: number,
  plan: VerifyPlan,
): Promise<VerifyReport> {
  const report: VerifyReport = { size: 'skipped' };
  const size = await fileSizeIfKnown(session, path);
  if (size !== undefined) {
    if (size !== expectedSize) throw new VerifyError(path, 'size', expectedSize, size);
    report.size = true;
  }
  const { method, hasher } = plan;
  if (method === undefined || hasher === undefined) {
    if (plan.hashSkipped !== undefined) report.hashSkipped = plan.hashSkipped;
    return report;
  }
  const expected = hasher.digest();
  let actual: string;
  try {
    actual = await fileHash(session, method, path, expectedSize);
  } catch (err) {
    if (!(err instanceof FtpReplyError)) throw err;
    report.hashSkipped = refusal(err);
    return report;
  }
  if (actual !== expected) throw new VerifyError(path, method.algorithm, expected, actual);
  report.hash = {
    algorithm: method.algorithm,
    value: actual,
    command: method.family === 'HASH' ? 'HASH' : method.command,
  };
  return report;
}
