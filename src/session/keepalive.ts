// Idle keepalive: a NOOP after a quiet interval keeps NAT and firewall state alive, and finds a dead
// connection while nobody waits on it (the NOOP's reply timeout closes it).
import { expectReply } from './control.js';
import type { Session } from './session.js';

/** NOOP, wanting a 2xx. */
export async function noop(session: Session): Promise<void> {
  expectReply(await session.control.request('NOOP'), 'NOOP');
}

/**
 * Calls `probe` once the connection has been idle for `intervalMs`, and again after each further
 * interval while it stays idle. The timer is unref'd: an idle client never keeps the process alive.
 */
export class IdleKeepalive {
  readonly #intervalMs: number;
  readonly #probe: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number, probe: () => void) {
    this.#intervalMs = intervalMs;
    this.#probe = probe;
  }

  /** The connection went idle: start counting. */
  idle(): void {
    this.stop();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#probe();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** A call started (or the client closes): no probe until idle again. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
