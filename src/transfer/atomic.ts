// Atomic uploads: write to a temporary name beside the target, rename over the target on success,
// remove the temporary file on failure. The target is never seen half-written.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { formatCommand } from '../protocol/command.js';
import { expectReply } from '../session/handshake.js';
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

async function renameOnce(session: Session, from: string, to: string): Promise<{ ok: true } | { ok: false; code: number; text: string; command: string }> {
  const rnfr = formatCommand('RNFR', from);
  const r1 = await session.control.request(rnfr);
  if (r1.code !== 350) return { ok: false, code: r1.code, text: r1.text, command: rnfr };
  const rnto = formatCommand('RNTO', to);
  const r2 = await session.control.request(rnto);
  if (r2.code < 200 || r2.code > 299) return { ok: false, code: r2.code, text: r2.text, command: rnto };
  return { ok: true };
}

/**
 * Renames the temporary file over the target. POSIX servers replace the target in one step; servers
 * that refuse to rename onto an existing file (Windows-backed ones, 550/553) get DELE target and a
 * second RNFR/RNTO: the target is then briefly absent, but never half-written.
 */
export async function renameIntoPlace(session: Session, temp: string, target: string): Promise<void> {
  const first = await renameOnce(session, temp, target);
  if (first.ok) return;
  if (first.command.startsWith('RNTO') && first.code >= 500) {
    const dele = formatCommand('DELE', target);
    const deleted = await session.control.request(dele);
    if (deleted.code >= 200 && deleted.code <= 299) {
      const second = await renameOnce(session, temp, target);
      if (second.ok) return;
      expectReply({ code: second.code, text: second.text, lines: [] }, second.command);
    }
  }
  expectReply({ code: first.code, text: first.text, lines: [] }, first.command);
}

/** DELE, ignoring any failure (the connection may be gone, the file may not exist). */
export async function removeQuietly(session: Session, path: string): Promise<void> {
  if (session.closedBy !== undefined || session.control.error !== undefined) return;
  try {
    await session.control.request(formatCommand('DELE', path));
  } catch {
    /* best effort */
  }
}
