// The next transfer's passive address, asked for behind the current transfer command, on servers that
// read no command while a transfer runs (ServerQuirks.queuesCommandsDuringTransfer: vsftpd). Such a
// server answers the EPSV written right after RETR/STOR/LIST only once the transfer is over, so its
// 229 arrives right behind the 226 and the next transfer can connect at once: the EPSV round trip
// (1 RTT of the 4-5 a small file costs) is hidden. Servers that read commands during a transfer
// answer it there (proftpd 450, pure-ftpd 500) or act on it (pyftpdlib closes the running transfer),
// so they never get one.
//
// Reply order stays exact: the transfer reads the EPSV's reply right after its own final reply
// (data-stop.ts), so when a transfer is over nothing is outstanding on the control connection, and
// the address is plain data (host, port, when) that any later command leaves alone (vsftpd keeps the
// listener until the next transfer or EPSV/PASV/PORT). An address older than MAX_AGE_MS is not used;
// one that no longer answers (refused, timed out, or 425 from the server) is replaced by a fresh EPSV.
import { logData } from '../log.js';
import type { ResolvedOptions } from '../options.js';
import type { FtpReply } from '../protocol/reply.js';
import type { ControlConnection } from './control.js';
import { passiveTarget, type PassiveTarget } from './data-passive.js';
import type { ServerQuirks } from './server-quirks.js';
import type { Session } from './session.js';

/**
 * Whether a session asks for addresses ahead: a server that queues commands during a transfer, passive
 * mode, and TLS on the data connection (a listener that waits longer must be useless to anyone else
 * connecting to it: the server then wants this session's TLS session).
 */
export function prefetchWanted(quirks: ServerQuirks, options: ResolvedOptions, secure: boolean): boolean {
  return (
    quirks.queuesCommandsDuringTransfer &&
    secure &&
    options.dataConnection !== 'active' &&
    options.dataProtection !== 'clear'
  );
}

/** How long a prefetched address is used at all: long enough for back-to-back transfers, short for a stale port. */
export const MAX_AGE_MS = 10_000;

export class PassivePrefetch {
  readonly #session: Session;
  readonly #now: () => number;
  #ready: { target: PassiveTarget; at: number } | undefined;
  #due = false;

  /** `now`: the clock the age limit is measured with (tests pass their own). */
  constructor(session: Session, now: () => number = () => performance.now()) {
    this.#session = session;
    this.#now = now;
  }

  /** Whether this session asks for addresses ahead (prefetchWanted). */
  get enabled(): boolean {
    const { quirks, options, secure } = this.#session;
    return prefetchWanted(quirks, options, secure);
  }

  /** Whether a passive command was written behind the transfer command and its reply is still to be read. */
  get due(): boolean {
    return this.#due;
  }

  /** Right after the transfer command: writes the next transfer's EPSV (or PASV) behind it, if enabled. */
  request(control: ControlConnection): void {
    if (!this.enabled || this.#due) return;
    this.#ready = undefined; // the server replaces its listener: an older address is gone
    control.write(this.#session.passiveCommand, true);
    this.#due = true;
  }

  /**
   * The reply to request(), or to the EPSV of the login's settings batch (handshake.ts: the first
   * transfer's); anything but 229/227 means no address (the next transfer asks as usual).
   */
  accept(reply: FtpReply): void {
    this.#due = false;
    if (reply.code !== 229 && reply.code !== 227) return logData('passive prefetch answered %d', reply.code);
    try {
      this.#ready = { target: passiveTarget(this.#session, reply), at: this.#now() };
    } catch (err) {
      logData('passive prefetch unusable: %s', (err as Error).message);
    }
  }

  /** Reads the reply to request(), if one is due (a transfer whose final reply came early or was a refusal). */
  async settle(control: ControlConnection): Promise<void> {
    if (this.#due) this.accept(await control.read());
  }

  /** The reply to request() was read among others (an early stop's resync) or will never come. */
  forget(): void {
    this.#due = false;
  }

  /** The prefetched address, if fresh enough; each is used once. */
  take(): PassiveTarget | undefined {
    const ready = this.#ready;
    this.#ready = undefined;
    if (ready === undefined || this.#now() - ready.at > MAX_AGE_MS) return undefined;
    return ready.target;
  }

  /** Drops the prefetched address (it failed, or a retry wants a fresh one). */
  discard(): void {
    this.#ready = undefined;
  }
}
