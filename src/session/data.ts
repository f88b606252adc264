// One transfer over a data connection, and the choreography around it.
//
// Order of events:
//   prepare the data connection (data-channel.ts strategy: EPSV/PASV + TCP connect; EPSV skipped for
//   an address asked for ahead, data-prefetch.ts) -> TLS handshake started (data-protect.ts, resuming
//   the control session) while the transfer command goes out (with the next transfer's EPSV where the
//   server queues commands) -> 1xx -> bytes (data-pump.ts) -> both the final reply (and the EPSV's) and
//   the end of the data stream (data-settlement.ts).
// The early handshake (data-early.ts) saves a round trip; a server that closes a data connection with
// bytes before the command (stock pyftpdlib) makes the session fall back, for good, to starting TLS
// only after the 1xx (as curl does), and the transfer is retried once, transparently.
import type { Socket } from 'node:net';
import { FtpReplyError, ReplyTimeoutError, TruncatedTransferError } from '../errors.js';
import { publish as diagnostics } from '../diagnostics.js';
import { logData } from '../log.js';
import { parseAnnouncedSize } from '../protocol/announced-size.js';
import { redactCommand } from '../protocol/command.js';
import type { FtpReply } from '../protocol/reply.js';
import { dataChannelFor, type PendingDataConnection } from './data-channel.js';
import { EarlyHandshake, EarlyTlsRefused, earlyTlsFor } from './data-early.js';
import { dialPassive, passiveTarget } from './data-passive.js';
import { clearRestart } from './data-restart.js';
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
  /** Sent as `REST <offset>` behind the data channel's command, the last before the transfer command; 350 expected. */
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
  /**
   * Called when the transfer fails after the server started it (answered its command with a 1xx):
   * the server may then hold a rest of it (listings: Session.listingCut). Not for a retried early-TLS refusal.
   */
  onUnfinished?: () => void;
  /**
   * With `length`: the transfer is not stopped at the length but runs to the server's end, ruled as
   * a whole file's (reply, TLS end, announced size); only a shortfall is ruled as a range's.
   */
  toEnd?: boolean;
}

export interface TransferOutcome {
  /** Payload bytes moved over the data connection. */
  bytes: number;
  /** The final reply (226/250). */
  reply: FtpReply;
  /** Whether the data connection resumed the TLS session; undefined on plain FTP. */
  tlsSessionReused: boolean | undefined;
  /** When the data TLS handshake started: with the command ('early') or after its 1xx; undefined on plain FTP. */
  dataTls: 'early' | 'after-1xx' | undefined;
  /**
   * Downloads over TLS: whether the server ended the data stream with close_notify (always true for
   * a complete one, unless truncation checks are off); undefined for uploads, plain FTP, ranges stopped by us.
   */
  closeNotify: boolean | undefined;
  /**
   * Downloads over TLS: whether the client sent its close_notify right after the data handshake
   * (the server's quirk, session/server-quirks.ts); undefined for uploads and plain FTP.
   */
  earlyCloseNotify: boolean | undefined;
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
export function runTransfer(
  session: Session,
  command: string,
  io: DataIo,
  signal?: AbortSignal,
  extras: TransferExtras = {},
): Promise<TransferOutcome> {
  const { length } = extras;
  if (length !== undefined && (!Number.isSafeInteger(length) || length <= 0 || io.direction !== 'download')) {
    return Promise.reject(
      new RangeError(`A transfer "length" must be a positive integer, for downloads only; got ${String(length)}`),
    );
  }
  return diagnostics.transfer(
    session.control,
    command,
    io.direction,
    transferWithFallback(session, command, io, signal, extras),
  );
}

/**
 * One attempt, with early data TLS where the session allows it, repeated once for each refusal that moved
 * nothing and left the control connection in step: the server refused the early handshake (then TLS after
 * the 1xx for good), or a passive address asked for ahead had gone stale (then a fresh EPSV).
 */
async function transferWithFallback(
  session: Session,
  command: string,
  io: DataIo,
  signal: AbortSignal | undefined,
  extras: TransferExtras,
): Promise<TransferOutcome> {
  let early = earlyTlsFor(session);
  let staleRetried = false;
  for (;;) {
    try {
      return await new DataTransfer(session, command, io, signal, extras, early).run();
    } catch (err) {
      // Nothing moved and the control connection is in step: the caller's stream is untouched.
      const verb = command.split(' ', 1)[0];
      if (err instanceof StalePassiveAddress && !staleRetried) {
        staleRetried = true;
        session.passivePrefetch.discard();
        logData(
          '%s: refused on the passive address asked for ahead (%s); retrying with a fresh one',
          verb,
          err.message,
        );
      } else if (err instanceof EarlyTlsRefused && early) {
        // A doubtful refusal (a bare 425: maybe a fault) changes the session's order only the second time.
        const learnt = err.certain || session.earlyTlsDoubted;
        if (learnt) session.dataTlsOrder = 'after-1xx';
        else session.earlyTlsDoubted = true;
        early = false;
        logData(
          '%s: the server closed the data connection carrying an early TLS handshake; TLS after the 1xx %s, retrying',
          verb,
          learnt ? 'from now on' : 'for this transfer',
        );
      } else throw err;
    }
  }
}

/** Thrown by an attempt whose prefetched passive address got a 425, once in step; never leaves data.ts. */
class StalePassiveAddress extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** The state of one running transfer; see runTransfer. */
class DataTransfer {
  readonly #started = performance.now();
  readonly #settlement = new TransferSettlement((err) => this.#destroyData(err));
  readonly #local: LocalSide;
  #pending: PendingDataConnection | undefined;
  #socket: Socket | undefined;
  /** ProtectedData.layered: what resetSocket must know of a TLS socket over the raw one. */
  #layered: Socket | undefined;
  #replies: TransferReplies | undefined;
  /** The early handshake (data-early.ts), while a refusal of it could still be retried. */
  #early: EarlyHandshake | undefined;
  #firstCode: number | undefined;
  /** Set once the client has decided to end the transfer before the server does (see #stopEarly). */
  #stoppedEarly = false;
  /** A range download got all its bytes. */
  #rangeComplete = false;
  /** Payload bytes that arrived, counted for a range (TransferExtras.length) only. */
  #received = 0;
  /** `REST <offset>` when the transfer restarts; it goes out with the data channel's command (data-restart.ts). */
  readonly #restart: string | undefined;
  /** The REST went to the data channel to be sent; the transfer command was written (it consumes the REST). */
  #restartOffered = false;
  #commandSent = false;
  readonly #onAbort = (): void => this.#abortRunningTransfer(this.signal?.reason);

  constructor(
    readonly session: Session,
    readonly command: string,
    readonly io: DataIo,
    readonly signal: AbortSignal | undefined,
    readonly extras: TransferExtras,
    /** Start the data TLS handshake with the command instead of after its 1xx (data-early.ts). */
    readonly early: boolean,
  ) {
    const offset = extras.restOffset;
    this.#restart = offset !== undefined && offset > 0 ? `REST ${offset}` : undefined;
    // A failing local stream ends the transfer early too: an upload cut by a FIN could pass for complete.
    this.#local = new LocalSide(io, (err) => {
      this.#stopEarly();
      this.#settlement.localFailed(err);
    });
  }

  async run(): Promise<TransferOutcome> {
    try {
      this.signal?.throwIfAborted();
      this.#restartOffered = this.#restart !== undefined;
      this.#pending = await dataChannelFor(this.session).prepare(this.session, {
        signal: this.signal,
        onSocketError: () => this.#settlement.socketFailed(),
        restart: this.#restart,
      });
      const localError = this.#settlement.localError;
      if (localError !== undefined) throw localError; // nothing sent yet: the control connection is in step
      this.signal?.addEventListener('abort', this.#onAbort, { once: true });
      return await this.#transfer(this.#pending);
    } catch (err) {
      if (err instanceof EarlyTlsRefused) throw err;
      if (this.#staleAddress()) throw new StalePassiveAddress(err);
      if (this.#earlyRefused()) throw new EarlyTlsRefused(err, this.#firstCode !== 425);
      if (this.#firstCode !== undefined && this.#firstCode < 200) this.extras.onUnfinished?.();
      if (this.#restartLeftSet(err)) {
        this.#destroyData();
        await clearRestart(this.session);
      }
      await this.#local.discard();
      throw this.signal?.aborted === true ? this.signal.reason : err;
    } finally {
      this.signal?.removeEventListener('abort', this.#onAbort);
      this.#destroyData();
      this.#local.detach();
    }
  }

  /**
   * Whether this failure is the server refusing the early handshake, safe to retry in the other
   * order: it took the command (1xx) or answered 425/426, and closed the connection under the
   * handshake (a 425 alone will do), so no payload byte moved; the control connection is in step,
   * the caller's stream untouched. Any other refusal of the command is the server's answer as it is.
   */
  #earlyRefused(): boolean {
    const early = this.#early;
    const code = this.#firstCode;
    if (early === undefined || early.done || code === undefined || this.#stoppedEarly) return false;
    if (!(code === 425 || ((code < 200 || code === 426) && early.refused))) return false;
    return (
      this.session.control.error === undefined &&
      this.signal?.aborted !== true &&
      this.#settlement.localError === undefined
    );
  }

  /** Whether the server may hold this transfer's REST for the next one: sent, not refused, and no command took it. */
  #restartLeftSet(err: unknown): boolean {
    if (!this.#restartOffered || this.#commandSent) return false;
    return !(err instanceof FtpReplyError && err.command === this.#restart);
  }

  /**
   * Whether the server answered 425 on a passive address asked for ahead: its listener may have gone
   * meanwhile (through a proxy the connect succeeds whatever is behind it), and the refusal moved nothing.
   */
  #staleAddress(): boolean {
    return (
      this.#pending?.prefetched === true &&
      this.#firstCode === 425 &&
      !this.#stoppedEarly &&
      this.session.control.error === undefined &&
      this.signal?.aborted !== true &&
      this.#settlement.localError === undefined
    );
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
   * Aborts the running transfer (the caller's signal, or the call's deadline): the early stop below,
   * then the data side fails with `reason`; run() rejects with `signal.reason` once the control
   * connection is back in step (or given up after the reply timeout).
   */
  #abortRunningTransfer(reason: unknown): void {
    this.#stopEarly();
    this.#settlement.stop(reason instanceof Error ? reason : new Error(String(reason)));
  }

  /**
   * Ends the transfer before the server does (an abort, a range at its length): reset the data
   * connection, then ABOR + NOOP unless the server already answered (data-stop.ts). Idempotent;
   * before the transfer command is answered, the ABOR waits for TransferReplies to exist.
   */
  #stopEarly(): void {
    if (this.#stoppedEarly) return;
    this.#stoppedEarly = true;
    this.#pending?.reset(this.#layered);
    this.#replies?.stop();
  }

  /** The part that owns an open data connection: command, data, final reply. */
  async #transfer(pending: PendingDataConnection): Promise<TransferOutcome> {
    logData('%s open for %s', pending.what, this.command.split(' ', 1)[0]);
    const download = this.io.direction === 'download';
    // The ClientHello is written before the command, so a server that reads both sees it first.
    if (this.early) this.#early = new EarlyHandshake(this.#protect(await pending.connected(), pending.what, download));
    const first = await this.#sendCommand();
    if (this.#early !== undefined && first.code < 200) {
      const early = this.#early;
      const { control } = this.session;
      await Promise.race([early.settled, control.replyWaiting()]);
      // Never with a prefetch's reply due: a server that queues commands would answer that first.
      if (early.refused && control.queuedReplies === 0 && !this.session.passivePrefetch.due)
        pending = await this.#redial();
    }
    const replies = new TransferReplies(
      this.session.control,
      first,
      () => this.#settlement.dataStopped || this.#rangeComplete,
      this.session.passivePrefetch,
    );
    this.#replies = replies;
    if (this.#stoppedEarly) replies.stop();
    const { length, onChunk } = this.extras;
    const cutAt = this.extras.toEnd === true ? undefined : length;
    const finalReply = replies.done;
    finalReply.then(
      // A range cut at its length reads on after a failing reply: the bytes it needs may all be in
      // flight already (the server sent them, then failed); the data stream's end decides.
      (reply) => {
        if (cutAt === undefined) this.#settlement.replyArrived(reply, this.command);
      },
      (err: Error) => this.#settlement.stop(err),
    );
    let bytes = 0;
    let reused: boolean | undefined;
    let dataTls: TransferOutcome['dataTls'];
    let closeNotify: boolean | undefined;
    let earlyCloseNotify: boolean | undefined;
    try {
      const data =
        this.#early !== undefined
          ? await this.#early.result
          : await this.#protect(await pending.connected(), pending.what, download);
      if (data.tlsSessionReused !== undefined) dataTls = this.#early === undefined ? 'after-1xx' : 'early';
      reused = data.tlsSessionReused;
      if (download) earlyCloseNotify = this.#endWriteSideEarly(data);
      bytes = await pumpData(data.socket, this.io, {
        timeoutMs: this.session.options.timeouts.data,
        what: pending.what,
        onChunk:
          length === undefined
            ? onChunk
            : (chunk) => {
                this.#received += chunk.length;
                onChunk?.(chunk);
              },
        length: cutAt,
        onLengthReached: () => {
          this.#rangeComplete = true;
          this.#stopEarly();
        },
      });
      if (download && !this.#rangeComplete) {
        closeNotify = data.endedCleanly?.();
        this.#checkComplete(data, bytes, first, pending.what);
      }
    } catch (err) {
      this.#settlement.dataFailed(err);
    }
    const answer = await this.#awaitFinalReply(finalReply);
    const reply =
      length === undefined
        ? this.#settlement.verdict(answer, this.command, pending.what)
        : this.#settlement.rangeVerdict(
            answer,
            { length, received: this.#received, toEnd: cutAt === undefined },
            this.command,
            pending.what,
          );
    this.signal?.throwIfAborted();
    await this.#local.commit();
    const durationMs = performance.now() - this.#started;
    logData(
      '%s done: %d bytes in %d ms, TLS session reused: %s, TLS %s',
      this.command.split(' ', 1)[0],
      bytes,
      Math.round(durationMs),
      reused,
      dataTls,
    );
    return { bytes, reply, tlsSessionReused: reused, dataTls, closeNotify, earlyCloseNotify, durationMs };
  }

  /**
   * A download over TLS from a server that waits for our close_notify before its final reply
   * (ServerQuirks.waitsForClientCloseNotify): send our close_notify right after the handshake, so
   * the server finds it waiting when it has sent the data, instead of one round trip later. Our TCP
   * FIN is held until the server's end: a proxy without half-close would otherwise close the tunnel.
   * Nothing is ever written on a download's data connection, and reading goes on to the server's
   * close_notify (TlsEndWitness). Returns whether it did; undefined on plain FTP.
   */
  #endWriteSideEarly(data: ProtectedData): boolean | undefined {
    if (data.tlsSessionReused === undefined) return undefined;
    if (!this.session.quirks.waitsForClientCloseNotify || data.sendCloseNotify === undefined) return false;
    data.sendCloseNotify();
    return true;
  }

  /** TLS on the data socket (none on plain FTP); from here on the protected socket's errors are watched. */
  async #protect(raw: Socket, what: string, download: boolean): Promise<ProtectedData> {
    const data = await protectData(this.session, raw, what, this.signal, download);
    this.#socket = data.socket;
    this.#layered = data.layered;
    if (data.socket !== raw) data.socket.on('error', () => this.#settlement.socketFailed());
    return data;
  }

  /**
   * The server closed the data connection carrying the early handshake, yet took the command (1xx)
   * and has not answered it since: it may still wait for a data connection (pyftpdlib does). Offer a
   * new one, TLS after the 1xx as from now on for the session. If the command's final reply comes
   * before the passive reply, the server gave up on the command: the passive reply is read (in step
   * again) and the attempt retried. Any other failure here leaves the command unanswered: the
   * control connection goes too.
   */
  async #redial(): Promise<PendingDataConnection> {
    const { control } = this.session;
    this.session.dataTlsOrder = 'after-1xx';
    this.#pending?.destroy();
    this.#early = undefined;
    logData(
      '%s: the server closed the data connection carrying an early TLS handshake; offering another',
      this.command.split(' ', 1)[0],
    );
    try {
      const reply = await control.request(this.session.passiveCommand);
      if (reply.code !== 229 && reply.code !== 227) {
        await control.read();
        throw new EarlyTlsRefused(new FtpReplyError(reply.code, reply.text, this.command));
      }
      this.#pending = await dialPassive(this.session, passiveTarget(this.session, reply), {
        signal: this.signal,
        onSocketError: () => this.#settlement.socketFailed(),
      });
      return this.#pending;
    } catch (err) {
      if (!(err instanceof EarlyTlsRefused)) control.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /**
   * A download is complete only if a protected stream ended with close_notify and no fewer bytes
   * arrived than the 1xx reply announced (whole files only: after REST servers differ in what they count).
   */
  #checkComplete(data: ProtectedData, bytes: number, first: FtpReply, what: string): void {
    if (data.endedCleanly !== undefined && !data.endedCleanly()) {
      throw new TruncatedTransferError(
        `The ${what} ended without TLS close_notify after ${bytes} bytes: the data may be truncated`,
      );
    }
    const announced =
      first.code < 200 && !(this.extras.restOffset !== undefined && this.extras.restOffset > 0)
        ? parseAnnouncedSize(first.text)
        : undefined;
    if (announced !== undefined && bytes < announced) {
      throw new TruncatedTransferError(
        `The ${what} ended after ${bytes} of the ${announced} bytes the server announced`,
      );
    }
  }

  /** The transfer command (its REST went with the data channel's); returns the first reply: 1xx or 2xx. */
  async #sendCommand(): Promise<FtpReply> {
    const { control } = this.session;
    // Aborted while the data connection was being opened: the transfer command need not go out at all.
    this.signal?.throwIfAborted();
    control.write(this.command);
    this.#commandSent = true;
    // The next transfer's passive address, where the server answers it only after this transfer.
    this.session.passivePrefetch.request(control);
    const first = await control.read();
    this.#firstCode = first.code;
    if (first.code >= 300) {
      await this.session.passivePrefetch.settle(control);
      throw new FtpReplyError(first.code, first.text, this.command);
    }
    return first;
  }

  /** Waits for the final reply once the data side is over; gives up the connection after the reply timeout. */
  #awaitFinalReply(finalReply: Promise<FtpReply>): Promise<FtpReply> {
    const { control, options } = this.session;
    const ms = options.timeouts.reply;
    const message = `No final reply to "${redactCommand(this.command)}" within ${ms} ms after the data connection ended`;
    // The data side's failure, if any, is what the caller needs to see as the cause.
    const dataError = this.#settlement.dataError;
    const timer = setTimeout(
      () => control.destroy(new ReplyTimeoutError(message, dataError === undefined ? undefined : { cause: dataError })),
      ms,
    );
    return finalReply.finally(() => clearTimeout(timer));
  }
}
