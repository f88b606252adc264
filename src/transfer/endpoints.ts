// Turning what the caller hands us (local path, Buffer, stream) into the streams a transfer uses.
// Local files are opened before any command goes out: a missing file, a folder in the way or a
// refused symlink (O_NOFOLLOW) rejects the call while the connection is untouched, and a STOR
// never truncates the remote copy for a local file that cannot be read.
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { CommittableSink } from '../session/data-local.js';

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
  if (source instanceof Uint8Array)
    return Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)], { objectMode: false });
  if (source instanceof Readable) return source;
  throw new TypeError('Upload source must be a local path, a Buffer/Uint8Array or a Readable stream');
}

/**
 * How a download reaches its local file. `'replace'`: the bytes go to a unique temporary sibling
 * that is renamed over the target only once the transfer is proven complete (226, a clean end of
 * the data stream, the announced size); a failed or truncated download leaves an existing file
 * as it was and no new file. `'in-place'` (resumable downloads, which keep partial data by
 * design): the target itself is created or truncated when the first byte arrives. Devices and
 * FIFOs (/dev/null) are always written in place. Either way nothing exists or changes before the
 * first byte (or the end of an empty download), so a refused download (550) leaves no trace, and
 * only our own temporary file is ever unlinked.
 */
export type TargetMode = 'replace' | 'in-place';

/**
 * A download target whose commit waits for the caller's own checks (`verify`): the transfer's
 * commitTransfer() only closes the file; `commitVerified()` then renames it into place, and
 * destroying the sink instead drops the temporary file. One sink, the commit split in two.
 */
export interface DeferredCommit {
  commitVerified(): Promise<void>;
}

class DownloadFileSink extends Writable implements CommittableSink, DeferredCommit {
  /** The file finally written: the symlink's target when following an existing link. */
  readonly #path: string;
  readonly #noFollow: number;
  readonly #mode: TargetMode;
  /** The existing target, opened up front: the proof that it can be written. */
  #existing: FileHandle | undefined;
  /** Regular files can be replaced or truncated; devices and FIFOs cannot. */
  readonly #regular: boolean;
  /** Permission bits of the file being replaced, kept by its replacement. */
  readonly #permissions: number;
  #temp: string | undefined;
  #committed = false;
  readonly #deferred: boolean;
  #started: Promise<FileHandle> | undefined;

  constructor(
    path: string,
    existing: FileHandle | undefined,
    stats: { regular: boolean; permissions: number },
    noFollow: number,
    mode: TargetMode,
    deferred = false,
  ) {
    // Not auto-destroyed at 'finish': the temporary file must live until commitTransfer().
    super({ highWaterMark: CHUNK, autoDestroy: false });
    this.#path = path;
    this.#existing = existing;
    this.#regular = stats.regular;
    this.#permissions = stats.permissions;
    this.#noFollow = noFollow;
    this.#mode = mode;
    this.#deferred = deferred;
  }

  #start(): Promise<FileHandle> {
    this.#started ??= (async () => {
      if (this.#existing !== undefined && !this.#regular) return this.#existing;
      if (this.#mode === 'in-place') {
        if (this.#existing !== undefined) {
          await this.#existing.truncate(0);
          return this.#existing;
        }
        return open(this.#path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | this.#noFollow);
      }
      await this.#existing?.close();
      this.#existing = undefined;
      this.#temp = join(dirname(this.#path), `.${basename(this.#path)}.${randomBytes(6).toString('hex')}.ftps-part`);
      // O_EXCL: never through a link, never someone else's file.
      return open(this.#temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, this.#permissions);
    })();
    return this.#started;
  }

  /**
   * Renames the temporary file into place (see CommittableSink); then the stream is closed. Deferred: closes the file
   * only.
   */
  async commitTransfer(): Promise<void> {
    const handle = await this.#start();
    await handle.close();
    if (!this.#deferred) await this.commitVerified();
  }

  /** The second half of a deferred commit (see DeferredCommit), once the caller's checks passed. */
  async commitVerified(): Promise<void> {
    if (this.#committed) return;
    if (this.#temp !== undefined) await rename(this.#temp, this.#path);
    this.#committed = true;
    this.destroy();
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
    const temp = this.#committed ? undefined : this.#temp;
    // Wait for an open in flight, so its descriptor is closed too; then drop an uncommitted temporary file.
    (this.#started ?? Promise.resolve(this.#existing))
      .then((handle) => handle?.close())
      .catch(() => undefined)
      .then(() => (temp === undefined ? undefined : unlink(temp)))
      .then(settle, settle);
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
 * Opens `path` as a download target (see TargetMode). `followSymlinks: false` refuses a symlink at
 * the path, now and when the file is created (O_NOFOLLOW), for tree downloads.
 */
export async function openDownloadTarget(
  path: string,
  {
    followSymlinks = true,
    mode = 'replace',
    deferCommit = false,
  }: { followSymlinks?: boolean; mode?: TargetMode; deferCommit?: boolean } = {},
): Promise<Writable & Partial<DeferredCommit>> {
  const noFollow = followSymlinks ? 0 : (constants.O_NOFOLLOW ?? 0);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | noFollow);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // No file yet: the folder must exist and be writable now; the file is created at the first byte.
    await access(dirname(path), constants.W_OK);
    if (!(await stat(dirname(path))).isDirectory())
      throw Object.assign(new Error(`ENOTDIR: not a directory, ${dirname(path)}`), { code: 'ENOTDIR' });
    return new DownloadFileSink(path, undefined, { regular: true, permissions: 0o666 }, noFollow, mode, deferCommit);
  }
  try {
    const stats = await handle.stat();
    // Replacing a followed symlink replaces the file it points to, not the link.
    const target = followSymlinks && stats.isFile() ? await realpath(path) : path;
    if (stats.isFile() && mode === 'replace') await access(dirname(target), constants.W_OK);
    return new DownloadFileSink(
      target,
      handle,
      { regular: stats.isFile(), permissions: stats.mode & 0o7777 },
      noFollow,
      mode,
      deferCommit,
    );
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** `deferCommit`: a local path's sink renames into place only at its commitVerified() (DeferredCommit). */
export async function openDestination(
  destination: DownloadDestination,
  mode: TargetMode = 'replace',
  deferCommit = false,
): Promise<Writable & Partial<DeferredCommit>> {
  if (typeof destination === 'string') return openDownloadTarget(destination, { mode, deferCommit });
  if (destination !== null && typeof destination === 'object' && typeof (destination as Writable).write === 'function')
    return destination;
  throw new TypeError('Download destination must be a local path or a Writable stream');
}
