// Named file and folder operations on the control connection. Code above session calls these
// instead of writing command lines or checking reply codes itself.
import type { Writable } from 'node:stream';
import { FtpReplyError } from '../errors.js';
import { formatCommand } from '../protocol/command.js';
import { expectReply } from './control.js';
import { runTransfer, type TransferOutcome } from './data.js';
import { stat } from './metadata.js';
import type { Session } from './session.js';

/** One command that must get a 2xx; FtpReplyError (with the command) otherwise. */
async function command(session: Session, verb: string, path: string): Promise<void> {
  const line = formatCommand(verb, path);
  expectReply(await session.control.request(line), line);
}

/**
 * Renames `from` to `to`: RNFR (must answer 350), then RNTO (2xx). Rejects with FtpReplyError whose
 * `command` is the RNFR or RNTO line that was refused.
 */
export async function rename(session: Session, from: string, to: string): Promise<void> {
  const rnfr = formatCommand('RNFR', from);
  expectReply(await session.control.request(rnfr), rnfr, 350, 350);
  const rnto = formatCommand('RNTO', to);
  expectReply(await session.control.request(rnto), rnto);
}

/** Deletes a file (DELE). */
export function removeFile(session: Session, path: string): Promise<void> {
  return command(session, 'DELE', path);
}

/** Removes an empty folder (RMD). */
export function removeFolder(session: Session, path: string): Promise<void> {
  return command(session, 'RMD', path);
}

/** Creates one folder (MKD). */
export function makeFolder(session: Session, path: string): Promise<void> {
  return command(session, 'MKD', path);
}

/** DELE, ignoring any failure (the connection may be gone, the file may not exist): for cleanup. */
export async function removeFileQuietly(session: Session, path: string): Promise<void> {
  if (session.closedBy !== undefined || session.control.error !== undefined) return;
  await removeFile(session, path).catch(() => undefined);
}

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
    try {
      await makeFolder(session, current);
    } catch (err) {
      if (!(err instanceof FtpReplyError)) throw err;
      const existing = await stat(session, current).catch(() => undefined);
      if (existing?.type !== 'directory') throw err;
    }
  }
}

export interface RangeOptions {
  /** First byte of the range (sent as REST when > 0). */
  offset: number;
  /**
   * Bytes in the range; the sink gets exactly these (TransferExtras.length). Undefined: up to the
   * file's end, the server's own end of the transfer, with the checks of a whole download.
   */
  length: number | undefined;
  /**
   * With `length`: do not stop there; run to the server's end of the transfer, checked as a whole
   * download (the file's tail, where a byte beyond the length must show). Fewer than `length` bytes
   * is still TruncatedTransferError, whatever the server answers (TransferExtras.toEnd).
   */
  toEnd?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Sees every payload chunk of the range, in order (progress, hashing). */
  onChunk?: ((chunk: Buffer) => void) | undefined;
}

/**
 * Downloads bytes [offset, offset + length) of `remotePath` into `sink` (REST + RETR), stopping the
 * transfer at the range's end (data-stop.ts) with the control connection kept in step: for the
 * ranges of a segmented download. Resolves once the sink has finished with exactly `length` bytes,
 * whatever the server answered to the stopped RETR; fewer bytes rejects with TruncatedTransferError.
 * Without `length`, the transfer runs to the server's end of it, checked as a whole download is.
 * The sink is ended on success and destroyed on failure (runTransfer).
 */
export function downloadRange(
  session: Session,
  remotePath: string,
  sink: Writable,
  range: RangeOptions,
): Promise<TransferOutcome> {
  const line = formatCommand('RETR', remotePath);
  return runTransfer(session, line, { direction: 'download', sink }, range.signal, {
    restOffset: range.offset,
    ...(range.length === undefined ? {} : { length: range.length }),
    ...(range.toEnd === true ? { toEnd: true } : {}),
    ...(range.onChunk === undefined ? {} : { onChunk: range.onChunk }),
  });
}
