// Turning what the caller hands us (local path, Buffer, stream) into the streams a transfer uses.
// Local files are opened before any command goes out: a missing file, a folder in the way or a
// refused symlink (O_NOFOLLOW) rejects the call while the connection is untouched, and a STOR
// never truncates the remote copy for a local file that cannot be read.
import { open } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';

/** An upload source: a local file path, the bytes themselves, or a readable stream. */
export type UploadSource = string | Buffer | Uint8Array | Readable;
/** A download destination: a local file path or a writable stream (ended when the transfer ends). */
export type DownloadDestination = string | Writable;

const CHUNK = 256 * 1024;

/** Opens a local file for reading from `start`; rejects with Node's error (ENOENT, EISDIR…) now. */
export async function openLocalRead(path: string, start = 0): Promise<Readable> {
  const handle = await open(path, 'r');
  return handle.createReadStream({ start, highWaterMark: CHUNK });
}

/** Opens a local file for writing with `flags` ('w', 'a', or numeric such as O_NOFOLLOW combinations). */
export async function openLocalWrite(path: string, flags: string | number = 'w'): Promise<Writable> {
  const handle = await open(path, flags);
  return handle.createWriteStream({ highWaterMark: CHUNK });
}

export async function openSource(source: UploadSource): Promise<Readable> {
  if (typeof source === 'string') return openLocalRead(source);
  if (source instanceof Uint8Array) return Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)], { objectMode: false });
  if (source instanceof Readable) return source;
  throw new TypeError('Upload source must be a local path, a Buffer/Uint8Array or a Readable stream');
}

export async function openDestination(destination: DownloadDestination): Promise<Writable> {
  if (typeof destination === 'string') return openLocalWrite(destination);
  if (destination !== null && typeof destination === 'object' && typeof (destination as Writable).write === 'function') return destination;
  throw new TypeError('Download destination must be a local path or a Writable stream');
}
