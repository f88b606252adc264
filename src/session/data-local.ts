// The caller's side of a transfer: the local stream (file, buffer, any stream) that feeds an
// upload or takes a download. It may fail before pipeline() is attached (a file that vanished),
// so its errors are watched from the start and never go unhandled.
import type { Readable, Writable } from 'node:stream';

export type DataIo = { direction: 'download'; sink: Writable } | { direction: 'upload'; source: Readable };

/**
 * A download sink that holds its bytes back until the transfer is proven complete (a local file
 * written to a temporary sibling): `commitTransfer()` is called once, after the 2xx reply and a
 * clean end of the data stream; a sink destroyed without it leaves no trace.
 */
export interface CommittableSink {
  commitTransfer(): Promise<void>;
}

function isCommittable(stream: unknown): stream is CommittableSink {
  return typeof (stream as Partial<CommittableSink>).commitTransfer === 'function';
}

/** How long to wait for a destroyed local stream to close (a foreign stream may never close). */
const CLOSE_WAIT_MS = 2_000;

export class LocalSide {
  readonly stream: Readable | Writable;
  readonly #io: DataIo;
  readonly #onFailure: (err: unknown) => void;
  #failed = false;
  readonly #onError = (err: unknown): void => {
    this.#failed = true;
    this.#onFailure(err);
  };
  // Destroyed without an error (the caller gave up on their stream): that is the local side too.
  readonly #onClose = (): void => {
    if (this.#complete() || this.#failed) return;
    const which = this.#io.direction === 'download' ? 'destination' : 'source';
    this.#onError(
      Object.assign(new Error(`The ${which} stream was destroyed before the transfer ended`), {
        code: 'ERR_STREAM_PREMATURE_CLOSE',
      }),
    );
  };

  /** `onFailure` sees the first local error, or a premature close. */
  constructor(io: DataIo, onFailure: (err: unknown) => void) {
    this.#io = io;
    this.#onFailure = onFailure;
    this.stream = io.direction === 'download' ? io.sink : io.source;
    this.stream.on('error', this.#onError);
    this.stream.once('close', this.#onClose);
  }

  #complete(): boolean {
    return this.#io.direction === 'download' ? this.#io.sink.writableFinished : this.#io.source.readableEnded;
  }

  /**
   * Destroys the stream after a failure and waits (bounded) for it to close: our own file streams
   * close their descriptor then, so a caller that retries or resumes finds the file complete and closed.
   */
  async discard(): Promise<void> {
    if (!this.stream.destroyed) this.stream.destroy();
    let timer: NodeJS.Timeout | undefined;
    // 'close', not finished(): a sink that had finished still cleans up (a temporary file) until then.
    const closed = new Promise<void>((resolve) =>
      this.stream.closed ? resolve() : this.stream.once('close', () => resolve()),
    );
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Makes a completed download visible (see CommittableSink); a no-op for other streams. */
  async commit(): Promise<void> {
    if (this.#io.direction === 'download' && isCommittable(this.#io.sink)) await this.#io.sink.commitTransfer();
  }

  /** Hands the stream back: late errors of a destroyed stream stay handled; an ended one is the caller's again. */
  detach(): void {
    this.stream.off('close', this.#onClose);
    if (!this.stream.destroyed) this.stream.off('error', this.#onError);
  }
}
