// Server-side file hashes: HASH (draft-bryan-ftpext-hash-02) and the older X-commands
// (XSHA256, XSHA512, XSHA1/XSHA, XMD5, XCRC). Pure: choosing a command from FEAT, building the
// command line, parsing the replies.
//
//   FEAT        " HASH CRC32;MD5;SHA-1*;SHA-256;SHA-512;"   (* = the algorithm HASH uses now)
//   OPTS HASH SHA-256  -> 200 SHA-256
//   HASH f      -> 213 SHA-256 0-12 a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447 f
//   XSHA256 f   -> 250 A948904F…  (proftpd: "250-Computing SHA256 digest" first; others one line)
import { ProtocolError } from '../errors.js';
import { formatRawCommand } from './command.js';
import type { FtpReply } from './reply.js';

/** A hash algorithm `verify` can compare, named as in the HASH draft and FEAT. */
export type HashAlgorithm = 'SHA-256' | 'SHA-512' | 'SHA-1' | 'MD5' | 'CRC32';
/** `'HASH'`: the draft's HASH command; `'X'`: XSHA256/XSHA512/XSHA1/XMD5/XCRC. */
export type HashCommandFamily = 'HASH' | 'X';

/** Default preference: strongest widely offered first; CRC32 last (it only catches accidents). */
export const DEFAULT_HASH_ALGORITHMS: readonly HashAlgorithm[] = ['SHA-256', 'SHA-512', 'SHA-1', 'MD5', 'CRC32'];
export const DEFAULT_HASH_FAMILIES: readonly HashCommandFamily[] = ['HASH', 'X'];

/** Length of the hex digest. */
export const HASH_HEX_LENGTH: Readonly<Record<HashAlgorithm, number>> = {
  'SHA-256': 64,
  'SHA-512': 128,
  'SHA-1': 40,
  MD5: 32,
  CRC32: 8,
};

/** X-commands per algorithm, in the order tried when FEAT lists several. */
const X_COMMANDS: Readonly<Record<HashAlgorithm, readonly string[]>> = {
  'SHA-256': ['XSHA256'],
  'SHA-512': ['XSHA512'],
  'SHA-1': ['XSHA1', 'XSHA'],
  MD5: ['XMD5'],
  CRC32: ['XCRC'],
};

const NAMES: ReadonlyMap<string, HashAlgorithm> = new Map([
  ['SHA-256', 'SHA-256'],
  ['SHA256', 'SHA-256'],
  ['SHA-512', 'SHA-512'],
  ['SHA512', 'SHA-512'],
  ['SHA-1', 'SHA-1'],
  ['SHA1', 'SHA-1'],
  ['MD5', 'MD5'],
  ['CRC32', 'CRC32'],
  ['CRC-32', 'CRC32'],
]);

/** Canonical algorithm for a name as servers spell it ('sha256', 'SHA-256', …); undefined if unknown. */
export function hashAlgorithmName(name: string): HashAlgorithm | undefined {
  return NAMES.get(name.trim().toUpperCase());
}

/** The FEAT line of HASH: algorithms offered and the one currently selected (marked `*`). */
export function parseHashFeature(params: string): { algorithms: HashAlgorithm[]; selected: HashAlgorithm | undefined } {
  const algorithms: HashAlgorithm[] = [];
  let selected: HashAlgorithm | undefined;
  for (const raw of params.split(';')) {
    const star = raw.trim().endsWith('*');
    const algorithm = hashAlgorithmName(raw.trim().replace(/\*$/, ''));
    if (algorithm === undefined) continue;
    if (!algorithms.includes(algorithm)) algorithms.push(algorithm);
    if (star) selected = algorithm;
  }
  return { algorithms, selected };
}

export type HashMethod =
  | { family: 'HASH'; algorithm: HashAlgorithm; /** `OPTS HASH <algorithm>` must be sent first. */ select: boolean }
  | { family: 'X'; algorithm: HashAlgorithm; command: string };

/**
 * Picks how to ask the server for a hash, from its FEAT answer: the first family in `families`
 * that offers any algorithm of `algorithms` (in that order of preference). Undefined: no way.
 */
export function chooseHashMethod(
  features: ReadonlyMap<string, string>,
  algorithms: readonly HashAlgorithm[] = DEFAULT_HASH_ALGORITHMS,
  families: readonly HashCommandFamily[] = DEFAULT_HASH_FAMILIES,
): HashMethod | undefined {
  for (const family of families) {
    if (family === 'HASH') {
      const params = features.get('HASH');
      if (params === undefined) continue;
      const offered = parseHashFeature(params);
      const algorithm = algorithms.find((a) => offered.algorithms.includes(a));
      if (algorithm !== undefined) return { family, algorithm, select: offered.selected !== algorithm };
    } else {
      for (const algorithm of algorithms) {
        const command = X_COMMANDS[algorithm].find((c) => features.has(c));
        if (command !== undefined) return { family, algorithm, command };
      }
    }
  }
  return undefined;
}

/** The command line asking for the hash of `path` (argument checked for CR/LF/NUL). */
export function hashCommandLine(method: HashMethod, path: string): string {
  return formatRawCommand(`${method.family === 'HASH' ? 'HASH' : method.command} ${path}`);
}

/** `OPTS HASH <algorithm>`. */
export function selectHashLine(algorithm: HashAlgorithm): string {
  return `OPTS HASH ${algorithm}`;
}

/**
 * The digest in a HASH reply (213): a line `<algorithm> <start>-<end> <hex> <path>`; proftpd sends
 * a "213-Computing …" line before it. Returns lower-case hex. Throws ProtocolError when no such
 * line is there or it names another algorithm.
 */
export function parseHashReply(
  reply: Pick<FtpReply, 'text'>,
  algorithm: HashAlgorithm,
): { value: string; start: number; end: number } {
  const lines = reply.text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^\s*(\S+)\s+(\d+)-(\d+)\s+([0-9A-Fa-f]+)(?:\s|$)/.exec(lines[i] ?? '');
    if (m === null) continue;
    const named = hashAlgorithmName(m[1] ?? '');
    if (named !== algorithm)
      throw new ProtocolError(`HASH reply names algorithm ${m[1] ?? ''}, expected ${algorithm}: ${reply.text}`);
    const value = (m[4] ?? '').toLowerCase();
    if (value.length !== HASH_HEX_LENGTH[algorithm])
      throw new ProtocolError(`HASH reply has a ${value.length}-digit ${algorithm} digest: ${reply.text}`);
    return { value, start: Number(m[2]), end: Number(m[3]) };
  }
  throw new ProtocolError(`Bad HASH reply: ${reply.text}`);
}

/**
 * The digest in an X-command reply (XSHA256 …, usually 250): the last token of the right length
 * made only of hex digits, searched from the last line up. Returns lower-case hex.
 */
export function parseXHashReply(reply: Pick<FtpReply, 'text'>, algorithm: HashAlgorithm): string {
  const length = HASH_HEX_LENGTH[algorithm];
  const lines = reply.text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const tokens = (lines[i] ?? '').trim().split(/\s+/);
    for (let j = tokens.length - 1; j >= 0; j--) {
      const token = tokens[j] ?? '';
      if (token.length === length && /^[0-9A-Fa-f]+$/.test(token)) return token.toLowerCase();
    }
  }
  throw new ProtocolError(`No ${algorithm} digest in the reply: ${reply.text}`);
}
