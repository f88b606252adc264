// Turning what the caller hands us (local path, Buffer, stream) into the streams a transfer uses.
// Local files are opened before any command goes out: a missing file, a folder in the way or a
// refused symlink (O_NOFOLLOW) rejects the call while the connection is untouched, and a STOR
// never truncates the remote copy for a local file that cannot be read.
import { constants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';

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

/**
 * A local file to download into, replaced only once the download really starts: the file is
 * opened now (so EISDIR/ENOENT reject before RETR) but truncated at the first byte or at the end
 * of an empty download. A download the server refuses (550) leaves an existing file as it was, and
 * removes a file this call created.
 */
class ReplacingFileSink extends Writable {
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #created: boolean;
  #started: Promise<void> | undefined;

  constructor(handle: FileHandle, path: string, created: boolean) {
    super({ highWaterMark: CHUNK });
    this.#handle = handle;
    this.#path = path;
    this.#created = created;
  }

  #start(): Promise<void> {
    this.#started ??= this.#handle.truncate(0);
    return this.#started;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#start()
      .then(() => writeAll(this.#handle, chunk))
      .then(() => callback(), callback);
  }

  // Chunks that queued up while a write was in flight go out in one writev().
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    this.#start()
      .then(() => writeAllv(this.#handle, buffers))
      .then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#start().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const untouched = this.#started === undefined;
    this.#handle
      .close()
      .then(() => (untouched && this.#created ? unlink(this.#path) : undefined))
      .then(
        () => callback(error),
        () => callback(error),
      );
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) offset += (await handle.write(chunk, offset)).bytesWritten;
}

async function writeAllv(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const { bytesWritten } = await handle.writev(buffers);
  // A short write (rare, e.g. a signal) leaves a tail: finish it with plain writes.
  if (bytesWritten < total) await writeAll(handle, Buffer.concat(buffers).subarray(bytesWritten));
}

async function openReplacing(path: string): Promise<Writable> {
  try {
    return new ReplacingFileSink(await open(path, 'wx'), path, true);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return new ReplacingFileSink(await open(path, constants.O_WRONLY), path, false);
}

export async function openDestination(destination: DownloadDestination): Promise<Writable> {
  if (typeof destination === 'string') return openReplacing(destination);
  if (destination !== null && typeof destination === 'object' && typeof (destination as Writable).write === 'function') return destination;
  throw new TypeError('Download destination must be a local path or a Writable stream');
}
