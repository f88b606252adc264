// The data timeout, counted only while the server is the one holding the transfer up.
import { performance } from 'node:perf_hooks';

/**
 * Fires `onTimeout` once no activity was seen for `timeoutMs` while `localReady()` held. When the
 * timer expires with the local side not ready (a full sink, a source with nothing to give), the clock
 * stops until the next `touch()`: a slow consumer or producer is not the server's silence.
 */
export class DataIdleTimer {
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly localReady: () => boolean,
    private readonly onTimeout: () => void,
  ) {
    this.schedule(timeoutMs);
  }

  /** Progress or a change of readiness: the clock starts over (and runs again if it was stopped). */
  touch(): void {
    if (this.stopped) return;
    this.last = performance.now();
    if (this.timer === undefined) this.schedule(this.timeoutMs);
  }

  /** The transfer is over (or the server has finished its part): no timeout any more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    // One timer re-armed lazily, not one per chunk.
    this.timer = setTimeout(() => this.expire(), ms);
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const idle = performance.now() - this.last;
    if (idle < this.timeoutMs) return this.schedule(this.timeoutMs - idle);
    if (!this.localReady()) return; // clock stopped; the next touch() restarts it
    this.stop();
    this.onTimeout();
  }
}
