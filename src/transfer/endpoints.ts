// Turning what the caller hands us (local path, Buffer, stream) into the streams a transfer uses.
// Local files are opened before any command goes out: a missing file, a folder in the way or a
// refused symlink (O_NOFOLLOW) rejects the call while the connection is untouched, and a STOR
// never truncates the remote copy for a local file that cannot be read.
import { constants } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
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
 * A local file to download into, replaced only once the download really starts. Problems show now
 * (EISDIR, a missing folder, no permission, a symlink with `noFollow`), before RETR, but nothing is
 * created or truncated until the first byte arrives (or an empty download ends): a download the
 * server refuses (550) leaves an existing file as it was and creates none. Nothing is ever
 * unlinked, so two downloads racing for one new path cannot delete each other's file.
 */
class ReplacingFileSink extends Writable {
  readonly #path: string;
  readonly #noFollow: number;
  /** Open now when the file exists; opened at the first byte when it does not. */
  #handle: FileHandle | undefined;
  /** Regular files are truncated at the start; devices and FIFOs (/dev/null) cannot be. */
  readonly #truncate: boolean;
  #started: Promise<FileHandle> | undefined;

  constructor(path: string, handle: FileHandle | undefined, truncate: boolean, noFollow: number) {
    super({ highWaterMark: CHUNK });
    this.#path = path;
    this.#handle = handle;
    this.#truncate = truncate;
    this.#noFollow = noFollow;
  }

  #start(): Promise<FileHandle> {
    this.#started ??= (async () => {
      if (this.#handle === undefined) {
        this.#handle = await open(this.#path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | this.#noFollow);
      } else if (this.#truncate) {
        await this.#handle.truncate(0);
      }
      return this.#handle;
    })();
    return this.#started;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#start()
      .then((handle) => writeAll(handle, chunk))
      .then(() => callback(), callback);
  }

  // Chunks that queued up while a write was in flight go out in one writev().
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    this.#start()
      .then((handle) => writeAllv(handle, buffers))
      .then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#start().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const settle = (): void => callback(error);
    // Wait for an open in flight, so its descriptor is closed too.
    (this.#started ?? Promise.resolve(this.#handle)).then(
      (handle) => (handle === undefined ? settle() : handle.close().then(settle, settle)),
      settle,
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

/**
 * Opens `path` as a download target (see ReplacingFileSink). `followSymlinks: false` refuses a
 * symlink at the path, now and when the file is created (O_NOFOLLOW), for tree downloads.
 */
export async function openDownloadTarget(path: string, { followSymlinks = true }: { followSymlinks?: boolean } = {}): Promise<Writable> {
  const noFollow = followSymlinks ? 0 : (constants.O_NOFOLLOW ?? 0);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | noFollow);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // No file yet: the folder must exist and be writable now; the file is created at the first byte.
    await access(dirname(path), constants.W_OK);
    if (!(await stat(dirname(path))).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, ${dirname(path)}`), { code: 'ENOTDIR' });
    return new ReplacingFileSink(path, undefined, true, noFollow);
  }
  let regular: boolean;
  try {
    regular = (await handle.stat()).isFile();
  } catch (err) {
    await handle.close();
    throw err;
  }
  return new ReplacingFileSink(path, handle, regular, noFollow);
}

export async function openDestination(destination: DownloadDestination): Promise<Writable> {
  if (typeof destination === 'string') return openDownloadTarget(destination);
  if (destination !== null && typeof destination === 'object' && typeof (destination as Writable).write === 'function') return destination;
  throw new TypeError('Download destination must be a local path or a Writable stream');
}
