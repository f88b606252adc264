// The local side of a segmented download: one temporary sibling of the target that every range
// writes into at its own offsets (positional writes on one shared FileHandle), renamed over the
// target only once the whole file is complete (and verified). For `resume` the sibling has a fixed
// name, so a rerun finds it, and a small state file beside it says which bytes are already there
// (segment-state.ts).
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';

/** One byte range [start, end) of the remote file and how much of it is already written (from start on). */
export class SegmentRange {
  constructor(
    readonly start: number,
    readonly end: number,
    /** Bytes written contiguously from `start`. */
    public done = 0,
  ) {}

  /**
   * The sink of the attempt now fetching this range. A failed attempt's write may still complete
   * after the next attempt began: only the owner's writes count, so `done` never counts bytes twice.
   */
  owner: object | undefined;

  /** Where the next byte of this range goes (REST offset of its next attempt). */
  get position(): number {
    return this.start + this.done;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  get complete(): boolean {
    return this.position >= this.end;
  }
}

const CHUNK = 256 * 1024;

/** The temporary file the ranges write into; created by SegmentFile.open, then committed or discarded. */
export class SegmentFile {
  readonly #handle: FileHandle;
  /** The file finally written: the target, or the file an existing symlink at it points to. */
  readonly target: string;
  readonly tempPath: string;
  /** Beside the temporary file when resumable: which bytes it holds. */
  readonly statePath: string | undefined;
  /** Set once the file is committed or discarded: a late write of a stopped range fails instead of landing. */
  #sealed = false;

  private constructor(handle: FileHandle, target: string, tempPath: string, statePath: string | undefined) {
    this.#handle = handle;
    this.target = target;
    this.tempPath = tempPath;
    this.statePath = statePath;
  }

  /**
   * Opens the temporary sibling of `path`. Resolves undefined when the target exists and is not a
   * regular file (a device, a FIFO: positional writes make no sense there; one stream is used).
   * Throws Node's error when the folder is missing or not writable.
   */
  static async open(path: string, resumable: boolean): Promise<SegmentFile | undefined> {
    let target = path;
    let permissions = 0o666;
    try {
      const existing = await stat(path);
      if (!existing.isFile()) return undefined;
      target = await realpath(path);
      permissions = existing.mode & 0o7777;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const folder = dirname(target);
    await access(folder, constants.W_OK);
    const name = basename(target);
    const noFollow = constants.O_NOFOLLOW ?? 0;
    if (!resumable) {
      const temp = join(folder, `.${name}.${randomBytes(6).toString('hex')}.ftps-part`);
      // O_EXCL: never through a link, never someone else's file.
      const handle = await open(temp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, permissions);
      return new SegmentFile(handle, target, temp, undefined);
    }
    // A fixed name, so that the next run finds it; never followed if someone put a link there.
    const temp = join(folder, `.${name}.ftps-segments`);
    let handle = await open(temp, constants.O_RDWR | constants.O_CREAT | noFollow, permissions);
    const info = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    if (!info.isFile() || info.nlink !== 1) {
      // Another name for the same file (a hard link, a snapshot) or no file at all: writing would
      // change it there too. Replaced by a fresh file of our own (its old bytes are not trusted).
      await handle.close();
      await unlink(temp);
      handle = await open(temp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | noFollow, permissions);
    }
    return new SegmentFile(handle, target, temp, `${temp}.json`);
  }

  /** Current size of the temporary file. */
  async size(): Promise<number> {
    return (await this.#handle.stat()).size;
  }

  /** Sets the file's length (sparse): `0` drops stale data, the remote size makes room for every range. */
  async truncate(length: number): Promise<void> {
    await this.#handle.truncate(length);
  }

  /** Flushes written data to the disk (before the state file may claim it is there). */
  async sync(): Promise<void> {
    if (!this.#sealed) await this.#handle.datasync();
  }

  /** Writes `buffers` one after the other from `position` on. */
  async write(buffers: Buffer[], position: number): Promise<void> {
    if (this.#sealed)
      throw Object.assign(new Error('The segmented download is over: late write refused'), {
        code: 'ERR_STREAM_DESTROYED',
      });
    const total = buffers.reduce((n, b) => n + b.length, 0);
    let written = (await this.#handle.writev(buffers, position)).bytesWritten;
    // A short write (rare) leaves a tail: finish it with plain writes.
    if (written < total) {
      const rest = Buffer.concat(buffers).subarray(written);
      let off = 0;
      while (off < rest.length) {
        const n = (await this.#handle.write(rest, off, rest.length - off, position + written)).bytesWritten;
        off += n;
        written += n;
      }
    }
  }

  /**
   * A sink for one range, for runTransfer: positional writes, nothing beyond the range's end. With
   * `overflow`, a byte beyond the end fails the sink with `overflow(end offset of the bytes sent)` instead of
   * being dropped (the range at the file's end: more bytes there mean the file is not what SIZE said).
   */
  sink(range: SegmentRange, onWritten: (chunk: Buffer) => void, overflow?: (received: number) => Error): Writable {
    return new RangeSink(this, range, onWritten, overflow);
  }

  /** Renames the complete file over the target and removes the state file. */
  async commit(): Promise<void> {
    this.#sealed = true;
    await this.#handle.close();
    await rename(this.tempPath, this.target);
    if (this.statePath !== undefined) await unlinkQuietly(this.statePath);
  }

  /** Removes the temporary file and the state file (nothing stays behind). */
  async discard(): Promise<void> {
    this.#sealed = true;
    await this.#handle.close().catch(() => undefined);
    await unlinkQuietly(this.tempPath);
    if (this.statePath !== undefined) await unlinkQuietly(this.statePath);
  }

  /** Closes the file and keeps it (and the state file) for the next resumable run. */
  async keep(): Promise<void> {
    this.#sealed = true;
    await this.#handle.close().catch(() => undefined);
  }
}

async function unlinkQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/**
 * Takes one range's bytes from runTransfer and writes them at the range's offsets. It never writes
 * past the range's end (the session stops the transfer there; this is the second guard), and it
 * owns no descriptor: destroying it leaves the shared file open for the other ranges.
 */
class RangeSink extends Writable {
  readonly #file: SegmentFile;
  readonly #range: SegmentRange;
  readonly #onWritten: (chunk: Buffer) => void;
  readonly #overflow: ((received: number) => Error) | undefined;
  /** The file offset of this sink's first byte. */
  readonly #from: number;
  /** Bytes this sink was given, clipped or not. */
  #received = 0;

  constructor(
    file: SegmentFile,
    range: SegmentRange,
    onWritten: (chunk: Buffer) => void,
    overflow: ((received: number) => Error) | undefined,
  ) {
    super({ highWaterMark: CHUNK });
    this.#file = file;
    this.#range = range;
    this.#onWritten = onWritten;
    this.#overflow = overflow;
    this.#from = range.position;
    range.owner = this;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#put([chunk]).then(() => callback(), callback);
  }

  // Chunks that queued up while a write was in flight go out in one positional writev().
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#put(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  async #put(buffers: Buffer[]): Promise<void> {
    let room = this.#range.remaining;
    const given = buffers.reduce((n, b) => n + b.length, 0);
    this.#received += given;
    if (given > room && this.#overflow !== undefined) throw this.#overflow(this.#from + this.#received);
    const clipped: Buffer[] = [];
    for (const b of buffers) {
      if (room <= 0) break;
      const piece = b.length <= room ? b : b.subarray(0, room);
      clipped.push(piece);
      room -= piece.length;
    }
    if (clipped.length === 0) return;
    const at = this.#range.position;
    await this.#file.write(clipped, at);
    // A stopped attempt's late write landed at the right offsets; it is just not counted (a retry
    // has taken over from the position it saw, or the download is over).
    if (this.destroyed || this.#range.owner !== this || this.#range.position !== at) return;
    for (const piece of clipped) {
      this.#range.done += piece.length;
      this.#onWritten(piece);
    }
  }
}
