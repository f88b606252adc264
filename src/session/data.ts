// One transfer over a data connection, and the choreography around it.
//
// Order of events, chosen to work with every server we know:
//   prepare the data connection (data-channel.ts strategy: EPSV/PASV + TCP connect) -> transfer
//   command -> 1xx -> TLS handshake (data-protect.ts, resuming the control session) -> bytes
//   (data-pump.ts) -> both the final reply and the end of the data stream (data-settlement.ts).
// Starting TLS only after the 1xx (as curl does) suits servers that accept TLS on the data socket
// after they processed the command (vsftpd, proftpd) and those that want no bytes before it.
import type { Socket } from 'node:net';
import { FtpReplyError, ReplyTimeoutError, TruncatedTransferError } from '../errors.js';
import { publish as diagnostics } from '../diagnostics.js';
import { logData } from '../log.js';
import { parseAnnouncedSize } from '../protocol/announced-size.js';
import { redactCommand } from '../protocol/command.js';
import type { FtpReply } from '../protocol/reply.js';
import { expectReply } from './control.js';
import { dataChannelFor, type PendingDataConnection } from './data-channel.js';
import { LocalSide, type DataIo } from './data-local.js';
import { protectData, type ProtectedData } from './data-protect.js';
import { pumpData } from './data-pump.js';
import { TransferSettlement } from './data-settlement.js';
import { TransferReplies } from './data-stop.js';
import type { Session } from './session.js';

export type { DataIo } from './data-local.js';
export { enterPassive } from './data-passive.js';

/** Optional extras of one transfer; nothing here costs anything when unset. */
export interface TransferExtras {
  /** Sent as `REST <offset>` right before the transfer command (RFC 3659: REST must come last); 350 expected. */
  restOffset?: number;
  /** Sees every payload chunk, in order (hashing, progress). Not attached when unset. */
  onChunk?: (chunk: Buffer) => void;
  /**
   * Downloads only: a range of the file, from `restOffset` on. The transfer stops after exactly
   * this many payload bytes (the sink gets exactly `length` bytes), through the early stop of
   * data-stop.ts, and then counts as complete whatever the server answers (226, 426, 451, a 1xx);
   * the TLS end and announced-size checks do not apply. Fewer bytes: TruncatedTransferError.
   */
  length?: number;
}

export interface TransferOutcome {
  /** Payload bytes moved over the data connection. */
  bytes: number;
  /** The final reply (226/250). */
  reply: FtpReply;
  /** Whether the data connection resumed the TLS session; undefined on plain FTP. */
  tlsSessionReused: boolean | undefined;
  durationMs: number;
}

/**
 * Runs one transfer command over a fresh data connection. Resolves only when both the final
 * reply and the end of the data stream have happened. On any failure the data socket is
 * destroyed and the final reply is still awaited (bounded by the reply timeout), so the control
 * connection stays in step and the client stays usable; if that fails, the control connection is
 * destroyed. The local stream (`io`) is ended on success and destroyed on failure, as pipeline()
 * does. Errors: the local stream's own error as it is (disk full, file gone), a failing data
 * connection as ConnectionError, an abort as `signal.reason`, else the server's reply.
 */
export function runTransfer(session: Session, command: string, io: DataIo, signal?: AbortSignal, extras: TransferExtras = {}): Promise<TransferOutcome> {
  const { length } = extras;
  if (length !== undefined && (!Number.isSafeInteger(length) || length <= 0 || io.direction !== 'download')) {
    return Promise.reject(new RangeError(`A transfer "length" must be a positive integer, for downloads only; got ${String(length)}`));
  }
  return diagnostics.transfer(session.control, command, io.direction, new DataTransfer(session, command, io, signal, extras).run());
}

/** The state of one running transfer; see runTransfer. */
class DataTransfer {
  readonly #started = performance.now();
  readonly #settlement = new TransferSettlement((err) => this.#destroyData(err));
  readonly #local: LocalSide;
  #pending: PendingDataConnection | undefined;
  #socket: Socket | undefined;
  #replies: TransferReplies | undefined;
  /** Set once the client has decided to end the transfer before the server does (see #stopEarly). */
  #stoppedEarly = false;
  /** A range download got all its bytes. */
  #rangeComplete = false;
  readonly #onAbort = (): void => {
    const reason: unknown = this.signal?.reason;
    this.#stopEarly();
    this.#settlement.stop(reason instanceof Error ? reason : new Error(String(reason)));
  };

  constructor(
    readonly session: Session,
    readonly command: string,
    readonly io: DataIo,
    readonly signal: AbortSignal | undefined,
    readonly extras: TransferExtras,
  ) {
    this.#local = new LocalSide(io, (err) => this.#settlement.localFailed(err));
  }

  async run(): Promise<TransferOutcome> {
    try {
      this.signal?.throwIfAborted();
      this.#pending = await dataChannelFor(this.session).prepare(this.session, {
        signal: this.signal,
        onSocketError: () => this.#settlement.socketFailed(),
      });
      const localError = this.#settlement.localError;
      if (localError !== undefined) throw localError; // nothing sent yet: the control connection is in step
      this.signal?.addEventListener('abort', this.#onAbort, { once: true });
      return await this.#transfer(this.#pending);
    } catch (err) {
      await this.#local.discard();
      throw this.signal?.aborted === true ? this.signal.reason : err;
    } finally {
      this.signal?.removeEventListener('abort', this.#onAbort);
      this.#destroyData();
      this.#local.detach();
    }
  }

  #destroyData(err?: Error): void {
    // Before the handshake the raw socket carries the error, as the one stream there is.
    if (this.#socket === undefined) this.#pending?.destroy(err);
    else {
      this.#socket.destroy(err);
      this.#pending?.destroy();
    }
  }

  /**
   * Ends the transfer before the server does (an abort, a range at its length): reset the data
   * connection, then ABOR + NOOP unless the server already answered (data-stop.ts). Idempotent;
   * before the transfer command is answered, the ABOR waits for TransferReplies to exist.
   */
  #stopEarly(): void {
    if (this.#stoppedEarly) return;
    this.#stoppedEarly = true;
    this.#pending?.reset();
    this.#replies?.stop();
  }

  /** The part that owns an open data connection: command, data, final reply. */
  async #transfer(pending: PendingDataConnection): Promise<TransferOutcome> {
    logData('%s open for %s', pending.what, this.command.split(' ', 1)[0]);
    const first = await this.#sendCommand();
    const replies = new TransferReplies(this.session.control, first, () => this.#settlement.dataStopped || this.#rangeComplete);
    this.#replies = replies;
    if (this.#stoppedEarly) replies.stop();
    const finalReply = replies.done;
    finalReply.then(
      // A range reads on after a failing reply: the bytes it needs may all be in flight already
      // (the server sent them, then failed); the data stream's end decides.
      (reply) => {
        if (this.extras.length === undefined) this.#settlement.replyArrived(reply, this.command);
      },
      (err: Error) => this.#settlement.stop(err),
    );
    let bytes = 0;
    let reused: boolean | undefined;
    try {
      const raw = await pending.connected();
      const download = this.io.direction === 'download';
      const data = await protectData(this.session, raw, pending.what, this.signal, download);
      this.#socket = data.socket;
      if (data.socket !== raw) data.socket.on('error', () => this.#settlement.socketFailed());
      reused = data.tlsSessionReused;
      bytes = await pumpData(data.socket, this.io, {
        timeoutMs: this.session.options.timeouts.data,
        what: pending.what,
        onChunk: this.extras.onChunk,
        length: this.extras.length,
        onLengthReached: () => {
          this.#rangeComplete = true;
          this.#stopEarly();
        },
      });
      if (download && !this.#rangeComplete) this.#checkComplete(data, bytes, first, pending.what);
    } catch (err) {
      this.#settlement.dataFailed(err);
    }
    const answer = await this.#awaitFinalReply(finalReply);
    // A complete range stands whatever the server answered (426/451 for the reset we caused).
    const reply = this.#rangeComplete ? this.#settlement.rangeVerdict(answer) : this.#settlement.verdict(answer, this.command, pending.what);
    this.signal?.throwIfAborted();
    await this.#local.commit();
    const durationMs = performance.now() - this.#started;
    logData('%s done: %d bytes in %d ms, TLS session reused: %s', this.command.split(' ', 1)[0], bytes, Math.round(durationMs), reused);
    return { bytes, reply, tlsSessionReused: reused, durationMs };
  }

  /**
   * A download is complete only if a protected stream ended with close_notify and no fewer bytes
   * arrived than the 1xx reply announced (whole files only: after REST servers differ in what they count).
   */
  #checkComplete(data: ProtectedData, bytes: number, first: FtpReply, what: string): void {
    if (data.endedCleanly !== undefined && !data.endedCleanly()) {
      throw new TruncatedTransferError(`The ${what} ended without TLS close_notify after ${bytes} bytes: the data may be truncated`);
    }
    const announced = first.code < 200 && !(this.extras.restOffset !== undefined && this.extras.restOffset > 0) ? parseAnnouncedSize(first.text) : undefined;
    if (announced !== undefined && bytes < announced) {
      throw new TruncatedTransferError(`The ${what} ended after ${bytes} of the ${announced} bytes the server announced`);
    }
  }

  /** REST (if any) and the transfer command; returns the first reply, which must be 1xx or 2xx. */
  async #sendCommand(): Promise<FtpReply> {
    const { control } = this.session;
    const offset = this.extras.restOffset;
    // REST after the data connection is up: it must be the last command before the transfer command.
    if (offset !== undefined && offset > 0) {
      const rest = `REST ${offset}`;
      expectReply(await control.request(rest), rest, 350, 350);
    }
    // Aborted while REST was on its way: the transfer command need not go out at all.
    this.signal?.throwIfAborted();
    control.write(this.command);
    const first = await control.read();
    if (first.code >= 300) throw new FtpReplyError(first.code, first.text, this.command);
    return first;
  }

  /** Waits for the final reply once the data side is over; gives up the connection after the reply timeout. */
  #awaitFinalReply(finalReply: Promise<FtpReply>): Promise<FtpReply> {
    const { control, options } = this.session;
    const ms = options.timeouts.reply;
    const message = `No final reply to "${redactCommand(this.command)}" within ${ms} ms after the data connection ended`;
    // The data side's failure, if any, is what the caller needs to see as the cause.
    const dataError = this.#settlement.dataError;
    const timer = setTimeout(() => control.destroy(new ReplyTimeoutError(message, dataError === undefined ? undefined : { cause: dataError })), ms);
    return finalReply.finally(() => clearTimeout(timer));
  }
}
