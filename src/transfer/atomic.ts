// Atomic uploads: write to a temporary name beside the target, rename over the target on success,
// remove the temporary file on failure. The target is never seen half-written.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { FtpReplyError } from '../errors.js';
import { removeFile, removeFileQuietly, rename } from '../session/files.js';
import type { Session } from '../session/session.js';

/**
 * The temporary name beside `remotePath`: `.<name>.<random>.part`, or `.<name>.part` when the upload
 * may be resumed (the next attempt must find the same partial file).
 */
export function temporaryName(remotePath: string, resumable: boolean): string {
  const slash = remotePath.lastIndexOf('/');
  const dir = slash < 0 ? '' : remotePath.slice(0, slash + 1);
  const base = posix.basename(remotePath.slice(slash + 1));
  const tag = resumable ? '' : `.${randomBytes(4).toString('hex')}`;
  return `${dir}.${base}${tag}.part`;
}

/**
 * Renames the temporary file over the target. POSIX servers replace the target in one step; servers
 * that refuse to rename onto an existing file (Windows-backed ones, 550/553 to RNTO) get DELE target
 * and a second RNFR/RNTO: the target is then briefly absent, but never half-written.
 */
export async function renameIntoPlace(session: Session, temp: string, target: string): Promise<void> {
  try {
    await rename(session, temp, target);
    return;
  } catch (first) {
    const refusedOnto =
      first instanceof FtpReplyError && first.command?.startsWith('RNTO') === true && first.replyCode >= 500;
    if (!refusedOnto) throw first;
    await removeFile(session, target).catch(() => {
      throw first;
    });
  }
  await rename(session, temp, target);
}

/** DELE, ignoring any failure (the connection may be gone, the file may not exist). */
export const removeQuietly = removeFileQuietly;
