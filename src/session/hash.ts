// Server-side hashes (draft-bryan-ftpext-hash HASH with OPTS HASH, or the X-commands XSHA256, XMD5,
// XCRC, ...): selecting the algorithm and asking for a file's hash.
import {
  hashCommandLine,
  parseHashReply,
  parseXHashReply,
  selectHashLine,
  type HashAlgorithm,
  type HashMethod,
} from '../protocol/hash.js';
import { expectReply } from './control.js';
import type { Session } from './session.js';

/** Algorithm currently selected with OPTS HASH, per session (servers keep it per connection). */
const selectedHash = new WeakMap<Session, HashAlgorithm>();

/** For HASH with a selectable algorithm: OPTS HASH once per session and algorithm. FtpReplyError when refused. */
export async function selectHashAlgorithm(session: Session, method: HashMethod): Promise<void> {
  if (method.family !== 'HASH' || !method.select || selectedHash.get(session) === method.algorithm) return;
  const line = selectHashLine(method.algorithm);
  expectReply(await session.control.request(line), line);
  selectedHash.set(session, method.algorithm);
}

/**
 * The server's hash of a file, lower-case hex. FtpReplyError when refused. Hashing a big file takes
 * the server a while: the wait is the reply timeout plus 1 s per 50 MB of `size`.
 */
export async function fileHash(session: Session, method: HashMethod, path: string, size: number): Promise<string> {
  const line = hashCommandLine(method, path);
  const reply = expectReply(
    await session.control.request(line, session.options.timeouts.reply + Math.ceil(size / 50_000_000) * 1000),
    line,
  );
  return method.family === 'HASH'
    ? parseHashReply(reply, method.algorithm).value
    : parseXHashReply(reply, method.algorithm);
}
