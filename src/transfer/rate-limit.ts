// Bandwidth limits: a token bucket applied as backpressure. A transfer takes tokens for every chunk
// before passing it on; with none left it waits, so the source is read (or the data socket drained)
// only as fast as the limit allows. The bytes stay in stream buffers, never in a growing queue.
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { Transform } from 'node:stream';

/**
 * A shared bandwidth limit in bytes per second. Pass one instance as `rateLimit` to several
 * transfers (a pool's calls, a tree run's files) and they share it; a number makes a limiter of its
 * own for that call. Bursts are at most 50 ms worth of bytes.
 */
export class RateLimiter {
  /** The limit, bytes per second. */
  readonly bytesPerSecond: number;
  readonly #capacity: number;
  #tokens: number;
  #last = performance.now();

  constructor(bytesPerSecond: number) {
    if (typeof bytesPerSecond !== 'number' || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) {
      throw new RangeError(
        `Option "rateLimit" must be a positive number of bytes per second, got ${String(bytesPerSecond)}`,
      );
    }
    this.bytesPerSecond = bytesPerSecond;
    this.#capacity = Math.max(1, bytesPerSecond * 0.05);
    this.#tokens = this.#capacity;
  }

  /**
   * Takes `bytes` tokens; resolves when they may be sent. Callers at once are served in order: each
   * one's wait includes the debt of those before it. Rejects with `signal.reason` on abort.
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSecond);
    this.#last = now;
    this.#tokens -= bytes;
    if (this.#tokens >= 0) return Promise.resolve();
    const waitMs = (-this.#tokens / this.bytesPerSecond) * 1000;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, waitMs);
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Chunks are passed on in pieces of at most this size, so that a limit is smooth and progress sees movement. */
const PIECE = 16 * 1024;

/** Takes tokens for `chunk` piece by piece, handing each piece on once allowed. */
async function paced(
  limiter: RateLimiter,
  chunk: Buffer,
  pass: (piece: Buffer) => Promise<void> | void,
): Promise<void> {
  for (let at = 0; at < chunk.length; at += PIECE) {
    const piece = chunk.subarray(at, at + PIECE);
    await limiter.take(piece.length);
    await pass(piece);
  }
}

/** The limiter for a `rateLimit` option: a shared instance as is, a number as a new one, undefined for none. */
export function limiterFor(option: number | RateLimiter | undefined): RateLimiter | undefined {
  if (option === undefined) return undefined;
  return option instanceof RateLimiter ? option : new RateLimiter(option);
}

/** An upload source read no faster than the limit. Errors and destruction pass both ways. */
export function throttledSource(source: Readable, limiter: RateLimiter): Readable {
  const throttle = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      paced(limiter, chunk, (piece) => void this.push(piece)).then(() => callback(), callback);
    },
  });
  pipeline(source, throttle, () => undefined);
  return throttle;
}

/**
 * A download sink written no faster than the limit: each chunk waits for its tokens, then for the
 * real sink to accept it, before the next is taken (backpressure reaches the data socket). It
 * finishes only once the real sink has finished, and closes only once the real sink has closed.
 */
export class ThrottledSink extends Writable {
  readonly #sink: Writable;
  readonly #limiter: RateLimiter;

  constructor(sink: Writable, limiter: RateLimiter) {
    // Not auto-destroyed at 'finish': a committing sink (a download target) waits for commitTransfer().
    super({ autoDestroy: false });
    this.#sink = sink;
    this.#limiter = limiter;
    sink.once('error', (err) => this.destroy(err));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    paced(this.#limiter, chunk, (piece) =>
      this.#sink.write(piece) ? undefined : new Promise<void>((resolve) => this.#sink.once('drain', resolve)),
    ).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#sink.once('finish', () => callback());
    this.#sink.end();
  }

  /** Passes the commit on to the real sink (see CommittableSink in session/data-local.ts). */
  async commitTransfer(): Promise<void> {
    const sink = this.#sink as Writable & { commitTransfer?: () => Promise<void> };
    if (typeof sink.commitTransfer === 'function') await sink.commitTransfer();
    this.destroy();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#sink.closed) {
      callback(error);
      return;
    }
    this.#sink.once('close', () => callback(error));
    this.#sink.destroy(error ?? undefined);
  }
}
