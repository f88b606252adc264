// Progress events for transfers: throttled to one every PROGRESS_INTERVAL_MS, plus a final event.
// Per-chunk cost when enabled: one addition and one clock read.

/** What `onProgress` receives. */
export interface ProgressEvent {
  /** The remote path of the transfer. */
  name: string;
  /** Which way the bytes move. */
  direction: 'upload' | 'download';
  /** Position in the file: bytes moved by this transfer plus the offset it resumed from. */
  bytes: number;
  /** The offset this transfer resumed from (0 for a whole file): `bytes - resumedFrom` were moved now. */
  resumedFrom: number;
  /** Size of the whole file when known (SIZE for downloads, the local file or buffer for uploads). */
  total: number | undefined;
  /** Average rate of this transfer so far (resumed bytes not counted). */
  bytesPerSecond: number;
  /** True on the last event, sent once the server confirmed the transfer. */
  done: boolean;
}

/** The `onProgress` option of transfers: called with each {@link ProgressEvent}. */
export type ProgressListener = (event: ProgressEvent) => void;

/** At most one event per this many milliseconds while data moves (the final event is always sent). */
export const PROGRESS_INTERVAL_MS = 100;

export class ProgressTracker {
  readonly #listener: ProgressListener;
  readonly #name: string;
  readonly #direction: 'upload' | 'download';
  readonly #offset: number;
  readonly #total: number | undefined;
  #moved = 0;
  #started = 0;
  #lastEmit = 0;

  constructor(
    listener: ProgressListener,
    init: { name: string; direction: 'upload' | 'download'; offset: number; total: number | undefined },
  ) {
    this.#listener = listener;
    this.#name = init.name;
    this.#direction = init.direction;
    this.#offset = init.offset;
    this.#total = init.total;
  }

  /** Counts a chunk; emits when the interval has passed. */
  readonly onChunk = (chunk: Buffer): void => {
    this.#moved += chunk.length;
    const now = performance.now();
    if (this.#started === 0) {
      this.#started = now;
      this.#lastEmit = now;
      return;
    }
    if (now - this.#lastEmit >= PROGRESS_INTERVAL_MS) {
      this.#lastEmit = now;
      this.#emit(now, false);
    }
  };

  /** The final event. */
  finish(): void {
    this.#emit(performance.now(), true);
  }

  #emit(now: number, done: boolean): void {
    const seconds = this.#started === 0 ? 0 : (now - this.#started) / 1000;
    const event: ProgressEvent = {
      name: this.#name,
      direction: this.#direction,
      bytes: this.#offset + this.#moved,
      resumedFrom: this.#offset,
      total: this.#total,
      bytesPerSecond: seconds > 0 ? Math.round(this.#moved / seconds) : 0,
      done,
    };
    // A throwing listener must not break the transfer.
    try {
      this.#listener(event);
    } catch {
      /* the caller's problem; the transfer goes on */
    }
  }
}
