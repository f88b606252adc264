// Resuming interrupted transfers. Downloads: the local file's size is the offset (REST + RETR,
// appended locally). Uploads: the remote file's SIZE is the offset (REST + STOR, or APPE when the
// server does not advertise REST STREAM). Anything that does not look like a prefix starts over.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Session } from '../session/session.js';
import { fileSizeIfKnown } from '../session/metadata.js';

/** Size of a local file, 0 when it does not exist. */
export async function localFileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Feeds bytes [0, length) of a local file to `update` (the part a resumed transfer does not move). */
export async function readLocalPrefix(path: string, length: number, update: (chunk: Buffer) => void): Promise<void> {
  if (length <= 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1, highWaterMark: 256 * 1024 }))
    update(chunk as Buffer);
}

export interface DownloadResumePlan {
  /** Bytes already in the local file that will be kept (REST offset); 0 = from the start. */
  offset: number;
  /** Remote size when SIZE answered. */
  remoteSize: number | undefined;
}

/** Download: resume from the local file's size when it is a possible prefix of the remote file. */
export async function planDownloadResume(
  session: Session,
  remotePath: string,
  localPath: string,
): Promise<DownloadResumePlan> {
  const local = await localFileSize(localPath);
  const remote = await fileSizeIfKnown(session, remotePath);
  // Larger than the remote file: not a prefix of it, start over.
  const offset = remote !== undefined && local > remote ? 0 : local;
  return { offset, remoteSize: remote };
}

export interface UploadResumePlan {
  offset: number;
  /** How to continue: REST <offset> + STOR, or APPE. */
  command: 'STOR' | 'APPE';
}

/** Whether FEAT says REST works for STOR (RFC 3659 "REST STREAM"). */
export function supportsRestStream(session: Session): boolean {
  return /\bSTREAM\b/i.test(session.features.get('REST') ?? '');
}

/** Upload: resume after the remote part when it is no larger than the local data. */
export async function planUploadResume(
  session: Session,
  remotePath: string,
  localSize: number,
): Promise<UploadResumePlan> {
  const remote = (await fileSizeIfKnown(session, remotePath)) ?? 0;
  const offset = remote <= localSize ? remote : 0;
  return { offset, command: offset > 0 && !supportsRestStream(session) ? 'APPE' : 'STOR' };
}
