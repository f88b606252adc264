// The replies of one transfer command, and stopping a transfer before the server has finished it:
// the one mechanism behind an abort (AbortSignal, a failing local stream) and a range download that
// reached its length (TransferExtras.length).
//
// Stopping early: the data connection is reset first (an RST, which no server can take for the end
// of an upload, unlike a FIN), then ABOR and NOOP go out together. The server fails or aborts the
// transfer and answers the transfer command (426/451/226, pure-ftpd a 1xx) and ABOR (426 + 226, 226
// alone, 225) in whatever order and number it likes; the NOOP's 200 comes after all of them, since
// a server answers commands in order. Reading up to that 200 puts the control connection back in
// step without guessing which reply answers what, at no extra round trip (NOOP rides with ABOR).
// Resetting first means no wait for servers that do not read the control connection during a
// transfer (vsftpd without async_abor_enable): the reset ends their transfer, then they read ABOR.
//
// The next transfer's EPSV written behind the command (data-prefetch.ts) is answered after the
// transfer's final reply (only servers that queue commands get one): its reply is read here too, right
// after the final reply, or among the replies before the sentinel when stopping early (a 229 or 227,
// which answers neither the transfer nor ABOR), so that the transfer leaves nothing outstanding.
import type { FtpReply } from '../protocol/reply.js';
import type { ControlConnection } from './control.js';
import type { PassivePrefetch } from './data-prefetch.js';

/** NOOP's reply: no transfer or ABOR reply uses it, so it marks the end of the resync. */
const SENTINEL_CODE = 200;

export class TransferReplies {
  readonly #control: ControlConnection;
  readonly #dataStopped: () => boolean;
  readonly #prefetch: PassivePrefetch;
  #final: FtpReply | undefined;
  #stopping = false;
  /** The transfer command's final reply; after an early stop, once the control connection is back in step. */
  readonly done: Promise<FtpReply>;

  /**
   * `first` is the transfer command's first reply (1xx, or already the final one). `dataStopped`:
   * whether the data side is over, so that a further 1xx counts as final (pure-ftpd reports a broken
   * transfer with a bare "150 … seconds" line). `prefetch`: whose reply may be due after the final one.
   */
  constructor(control: ControlConnection, first: FtpReply, dataStopped: () => boolean, prefetch: PassivePrefetch) {
    this.#control = control;
    this.#dataStopped = dataStopped;
    this.#prefetch = prefetch;
    if (first.code >= 200) this.#final = first;
    this.done = this.#read();
  }

  /** Whether the server has answered the transfer command (as far as this reader has seen). */
  get answered(): boolean {
    return this.#final !== undefined;
  }

  /** Whether ABOR was sent. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Sends ABOR + NOOP unless the transfer command was already answered (then there is nothing to
   * abort on the server; the caller closing the data connection is all it takes). Call after the
   * data connection was reset. Idempotent. Returns whether ABOR went out.
   */
  stop(): boolean {
    if (this.#stopping || this.#final !== undefined || this.#control.error !== undefined) return this.#stopping;
    this.#stopping = true;
    this.#control.write('ABOR', true);
    this.#control.write('NOOP', true);
    return true;
  }

  async #read(): Promise<FtpReply> {
    // No timeout per read: DataTransfer bounds the whole wait once the data side is over.
    for (;;) {
      // stop() sends nothing once the transfer is answered, so a late one leaves this as it is.
      if (this.#final !== undefined && !this.#stopping && !this.#prefetch.due) return this.#final;
      const reply = await this.#control.read(0);
      // A 229/227 answers neither the transfer command nor ABOR: the prefetch's, wherever it comes.
      if (this.#prefetch.due && (reply.code === 229 || reply.code === 227)) this.#prefetch.accept(reply);
      else if (this.#stopping) {
        // Everything before the sentinel answers the transfer command or ABOR (or refuses the
        // prefetch's EPSV); the first one stands for the transfer (its text goes into the outcome;
        // an early stop never depends on its code).
        if (reply.code === SENTINEL_CODE) {
          this.#prefetch.forget();
          return this.#final ?? reply;
        }
        this.#final ??= reply;
      } else if (this.#final !== undefined) {
        this.#prefetch.accept(reply); // after the final reply, anything else refuses the EPSV
      } else if (reply.code >= 200 || this.#dataStopped()) this.#final = reply;
    }
  }
}
