// How one transfer ends. Two things must happen, in either order: the final reply on the control
// connection and the end of the data stream. Failures can come from three sides (the local
// stream, the data connection, the server's reply) and the first one decides whose fault it is:
// pipeline() passes a socket's error on to the local stream and the other way round, so later
// errors say nothing. This class only records; DataTransfer (data.ts) feeds it and asks for the verdict.
import { ConnectionError, FtpReplyError, FtpsError, TruncatedTransferError } from '../errors.js';
import type { FtpReply } from '../protocol/reply.js';

export class TransferSettlement {
  #first: 'local' | 'network' | undefined;
  #localError: unknown;
  #dataError: unknown;
  #stopped = false;
  readonly #stopData: (err: Error) => void;

  /** `stopData` tears the data connection down; it is called once, at the first failure. */
  constructor(stopData: (err: Error) => void) {
    this.#stopData = stopData;
  }

  /** Whether the data side has failed or been stopped: a further 1xx then ends the wait for the final reply. */
  get dataStopped(): boolean {
    return this.#stopped;
  }

  /** The local stream failed (or was destroyed); nothing more moves. */
  localFailed(err: unknown): void {
    this.#first ??= 'local';
    this.#localError ??= err;
    this.stop(err instanceof Error ? err : new Error(String(err)));
  }

  /** The data socket reported an error (it may be a consequence of another failure). */
  socketFailed(): void {
    this.#first ??= 'network';
  }

  /** Stops the data side: an abort, a failing reply, a failed data stream. */
  stop(err: Error): void {
    this.#first ??= 'network';
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopData(err);
  }

  /** The data stream failed; `err` is what moving the bytes rejected with. */
  dataFailed(err: unknown): void {
    this.#dataError ??= err;
    this.stop(err instanceof Error ? err : new Error(String(err)));
  }

  /** The final reply arrived, possibly before the data stream ended. A failure stops the data side. */
  replyArrived(reply: FtpReply, command: string): void {
    if (reply.code >= 300) this.stop(new FtpReplyError(reply.code, reply.text, command));
  }

  /** The local stream's error, if the local side failed first (it was not caused by the network). */
  get localError(): unknown {
    return this.#first === 'local' ? this.#localError : undefined;
  }

  /** What the data side failed with, if it did; the cause of a timeout waiting for the reply. */
  get dataError(): unknown {
    return this.#dataError;
  }

  /**
   * The verdict once both the final reply and the data end are in: returns the 2xx reply, or
   * throws the local stream's error, the server's refusal, or the data connection's failure.
   */
  verdict(reply: FtpReply, command: string, what: string): FtpReply {
    const own = this.localError;
    if (own !== undefined) throw own;
    const dataError = this.#dataError;
    if (reply.code < 200 || reply.code >= 300) {
      throw new FtpReplyError(
        reply.code,
        reply.text,
        command,
        dataError === undefined ? undefined : { cause: dataError },
      );
    }
    if (dataError !== undefined) throw asDataError(dataError, what);
    return reply;
  }

  /**
   * The verdict for a range (TransferExtras.length), and the one rule for a short one: fewer bytes
   * than its length is TruncatedTransferError whatever the server answered and however the reply and
   * the data's end interleaved (a failing reply that came first and stopped the data side, a close,
   * a reset, no byte at all), since a caller retries and resumes a short range from its end. Our own
   * typed data errors (a data timeout, TLS) stay as they are; a failing reply or socket error is the
   * cause. All its bytes: a range stopped at its length is complete whatever the reply (426/451
   * answer the reset we caused); one run on to the server's end (`toEnd`) is ruled as a whole file.
   */
  rangeVerdict(reply: FtpReply, range: RangeCount, command: string, what: string): FtpReply {
    const own = this.localError;
    if (own !== undefined) throw own;
    if (range.received >= range.length) return range.toEnd ? this.verdict(reply, command, what) : reply;
    const dataError = this.#dataError;
    if (dataError instanceof FtpsError && !(dataError instanceof FtpReplyError)) throw dataError;
    const failed =
      reply.code < 200 || reply.code >= 300 ? new FtpReplyError(reply.code, reply.text, command) : undefined;
    const cause = dataError instanceof Error ? dataError : failed;
    const why = cause === undefined ? '' : `: ${cause.message}`;
    throw new TruncatedTransferError(
      `The ${what} ended after ${range.received} of the ${range.length} bytes of the range${why}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** What a range transfer counted (see rangeVerdict). */
export interface RangeCount {
  length: number;
  received: number;
  /** The range was not stopped at its length but ran to the server's end of the transfer. */
  toEnd: boolean;
}

/**
 * A data-connection failure the server did not report: our typed errors as they are, socket errors as ConnectionError.
 */
function asDataError(err: unknown, what: string): unknown {
  if (err instanceof FtpsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectionError(`The ${what} failed: ${message}`, { cause: err });
}
