// When is a destination file up to date? Listings report modification times with different
// precision (MLSD: seconds; Unix LIST: minutes for recent files, days for files older than six
// months; DOS LIST: minutes), servers may or may not let the client set a file's time (MFMT, or
// vsftpd's `MDTM time path`), and a file uploaded without setting its time carries the time of the
// upload. The rule below makes a second mirror run transfer nothing on every server we test.
import type { FileInfo } from '../protocol/listing/index.js';

/** A file as a tree scan saw it. */
export interface FileFacts {
  size?: number | undefined;
  modifiedAt?: Date | undefined;
  /** How precise `modifiedAt` is (listings); local files are exact. */
  modifiedPrecision?: FileInfo['modifiedPrecision'];
}

/** How far apart two times may be and still count as equal, by the precision of the coarser one. */
export function timeSlackMs(precision: FileInfo['modifiedPrecision']): number {
  switch (precision) {
    case 'day':
      return 86_400_000;
    case 'minute':
      return 60_000;
    default:
      // 'second', 'millisecond', or unknown: servers keep whole seconds, local file systems more.
      return 1_000;
  }
}

/**
 * Upload direction (local source → remote destination). Up to date when the sizes are equal and
 * the remote time is not older than the local time (within the listing's precision): after an
 * upload, the remote time is either the local time (set with MFMT/MDTM after the upload) or the
 * time of the upload, which is later. A local file changed after the upload is newer: copied.
 * Without a time on either side, equal sizes count as up to date.
 */
export function remoteUpToDate(local: FileFacts, remote: FileFacts): boolean {
  if (local.size === undefined || remote.size === undefined || local.size !== remote.size) return false;
  if (local.modifiedAt === undefined || remote.modifiedAt === undefined) return true;
  return remote.modifiedAt.getTime() + timeSlackMs(remote.modifiedPrecision) > local.modifiedAt.getTime();
}

/**
 * Download direction (remote source → local destination). Up to date when the sizes are equal and
 * the local time equals the remote time within the listing's precision: after a download the
 * local time is set (fs.utimes) to the remote time as listed, so any other local time means the
 * file changed on one side. Without a remote time, equal sizes count as up to date.
 */
export function localUpToDate(remote: FileFacts, local: FileFacts): boolean {
  if (local.size === undefined || remote.size === undefined || local.size !== remote.size) return false;
  if (local.modifiedAt === undefined || remote.modifiedAt === undefined) return true;
  return Math.abs(local.modifiedAt.getTime() - remote.modifiedAt.getTime()) < timeSlackMs(remote.modifiedPrecision);
}
