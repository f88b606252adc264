// Folder operations built from several commands: mkdir -p and recursive removal.
import { FtpReplyError } from '../errors.js';
import { formatCommand } from '../protocol/command.js';
import type { FileInfo } from '../protocol/listing/index.js';
import { joinRemotePath } from '../protocol/paths.js';
import { expectReply } from '../session/control.js';
import { stat } from '../session/metadata.js';
import type { Session } from '../session/session.js';
import { listDirectory } from './listing.js';
import { unsafeNameReason } from './safe-path.js';

/**
 * mkdir -p: creates every missing folder on the path. An MKD that fails because the folder is
 * already there (made earlier, or by another client just now) is fine; anything else is an error.
 */
export async function ensureDir(session: Session, path: string): Promise<void> {
  const absolute = path.startsWith('/');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let current = absolute ? '' : '.';
  for (const part of parts) {
    current = current === '.' ? part : `${current}/${part}`;
    const line = formatCommand('MKD', current);
    const reply = await session.control.request(line);
    if (reply.code >= 200 && reply.code < 300) continue;
    const existing = await stat(session, current).catch(() => undefined);
    if (existing?.type !== 'directory') throw new FtpReplyError(reply.code, reply.text, line);
  }
}

async function listAll(session: Session, path: string, signal?: AbortSignal): Promise<FileInfo[]> {
  const entries: FileInfo[] = [];
  await listDirectory(session, path, (batch, done) => (entries.push(...batch), done()), signal);
  return entries;
}

/**
 * Removes a folder; with `recursive`, everything in it first. Symlinks are deleted, never followed.
 * The listing is read completely before any delete, since one connection cannot list and delete at once.
 * Listed names are untrusted: one that is not a plain name (`..`, `/`, `\`, a drive letter… see
 * unsafeNameReason) is left alone, so the final RMD reports the folder as not empty.
 */
export async function removeDir(session: Session, path: string, recursive: boolean, signal?: AbortSignal): Promise<void> {
  if (recursive) {
    for (const entry of await listAll(session, path, signal)) {
      // No trustworthy name (e.g. `a\..\..\x`, which a Windows-backed server would resolve outside
      // the folder): not touched; RMD below reports the folder not empty. The checks that hold on
      // every platform ('linux'): the name goes to the server, not to the local file system.
      if (entry.type === 'unknown' || unsafeNameReason(entry.name, 'linux') !== undefined) continue;
      const child = joinRemotePath(path, entry.name);
      if (entry.type === 'directory') await removeDir(session, child, true, signal);
      else expectReply(await session.control.request(formatCommand('DELE', child)), `DELE ${child}`);
    }
  }
  const line = formatCommand('RMD', path);
  expectReply(await session.control.request(line), line);
}
