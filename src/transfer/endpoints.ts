// Turning what the caller hands us (local path, Buffer, stream) into the streams a transfer uses.
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';

/** An upload source: a local file path, the bytes themselves, or a readable stream. */
export type UploadSource = string | Buffer | Uint8Array | Readable;
/** A download destination: a local file path or a writable stream (ended when the transfer ends). */
export type DownloadDestination = string | Writable;

export function openSource(source: UploadSource): Readable {
  if (typeof source === 'string') return createReadStream(source, { highWaterMark: 256 * 1024 });
  if (source instanceof Uint8Array) return Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)], { objectMode: false });
  if (source instanceof Readable) return source;
  throw new TypeError('Upload source must be a local path, a Buffer/Uint8Array or a Readable stream');
}

export function openDestination(destination: DownloadDestination): Writable {
  if (typeof destination === 'string') return createWriteStream(destination, { highWaterMark: 256 * 1024 });
  if (destination !== null && typeof destination === 'object' && typeof (destination as Writable).write === 'function') return destination;
  throw new TypeError('Download destination must be a local path or a Writable stream');
}
