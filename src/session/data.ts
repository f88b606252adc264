// Passive data connections and the transfer choreography around them.
//
// Order of events, chosen to work with every server we know:
//   EPSV (PASV fallback) -> TCP connect -> transfer command -> 1xx -> TLS handshake (resuming the
//   control session) -> bytes -> both the final reply and the end of the data stream.
// Starting TLS only after the 1xx (as curl does) suits servers that accept TLS on the data socket
// after they processed the command (vsftpd, proftpd) and those that want no bytes before it.
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { ConnectionError, DataTimeoutError, FtpReplyError, FtpsError, ReplyTimeoutError } from '../errors.js';
import { logData } from '../log.js';
import { redactCommand } from '../protocol/command.js';
import { parseEpsvReply, parsePasvReply } from '../protocol/passive.js';
import type { FtpReply } from '../protocol/reply.js';
import { connectTcp, connectTls } from '../transport/connect.js';
import { expectReply } from './control.js';
import type { Session } from './session.js';

export type DataIo = { direction: 'download'; sink: Writable } | { direction: 'upload'; source: Readable };

/** Optional extras of one transfer; nothing here costs anything when unset. */
export interface TransferExtras {
  /** Sent as `REST <offset>` right before the transfer command (RFC 3659: REST must come last); 350 expected. */
  restOffset?: number;
  /** Sees every payload chunk, in order (hashing, progress). Not attached when unset. */
  onChunk?: (chunk: Buffer) => void;
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

/** Asks for a passive port: EPSV first, PASV when the server does not know EPSV (remembered). */
export async function enterPassive(session: Session): Promise<{ host: string; port: number }> {
  const { control, options } = session;
  if (session.passiveCommand === 'EPSV') {
    const reply = await control.request('EPSV');
    if (reply.code === 229) return { host: session.remoteAddress, port: parseEpsvReply(reply.text) };
    if (reply.code < 500) throw new FtpReplyError(reply.code, reply.text, 'EPSV');
    session.passiveCommand = 'PASV';
  }
  const reply = expectReply(await control.request('PASV'), 'PASV', 227, 227);
  const offered = parsePasvReply(reply.text);
  // The control host, not the address in 227, unless the caller trusts the server (design: NAT, bounce).
  return { host: options.trustPasvAddress ? offered.host : session.remoteAddress, port: offered.port };
}

/**
 * Runs one transfer command over a fresh passive data connection. Resolves only when both the
 * final reply and the end of the data stream have happened. On any failure the data socket is
 * destroyed and the final reply is still awaited (bounded by the reply timeout), so the control
 * connection stays in step and the client stays usable; if that fails, the control connection is
 * destroyed. The local stream (`io`) is ended on success and destroyed on failure, as pipeline()
 * does. Errors: the local stream's own error as it is (disk full, file gone), a failing data
 * connection as ConnectionError, an abort as `signal.reason`, else the server's reply.
 */
export async function runTransfer(
  session: Session,
  command: string,
  io: DataIo,
  signal?: AbortSignal,
  extras: TransferExtras = {},
): Promise<TransferOutcome> {
  const started = performance.now();
  const { options } = session;
  const local = io.direction === 'download' ? io.sink : io.source;
  // The local stream may fail before pipeline() is attached (a file that vanished): never unhandled.
  let first: 'local' | 'network' | undefined;
  let localError: unknown;
  const failures: Failures = {
    network: () => void (first ??= 'network'),
    local: () => (first === 'local' ? localError : undefined),
  };
  const listener = (err: unknown): void => {
    first ??= 'local';
    localError ??= err;
    failures.kill?.(err instanceof Error ? err : new Error(String(err)));
  };
  local.on('error', listener);
  // Destroyed without an error (the caller gave up on their stream): that is the local side too.
  const onClose = (): void => {
    const complete = io.direction === 'download' ? io.sink.writableFinished : io.source.readableEnded;
    if (complete || first !== undefined) return;
    listener(Object.assign(new Error(`The ${io.direction === 'download' ? 'destination' : 'source'} stream was destroyed before the transfer ended`), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
  };
  local.once('close', onClose);
  try {
    signal?.throwIfAborted();
    const target = await enterPassive(session);
    const what = `data connection to ${target.host}:${target.port}`;
    const raw = await connectTcp(target.host, target.port, { timeoutMs: options.timeouts.connect, signal, what });
    if (localError !== undefined) {
      raw.destroy();
      throw localError; // nothing sent yet: the control connection is in step
    }
    return await transferOn(session, raw, what, command, io, signal, extras, started, failures);
  } catch (err) {
    if (!local.destroyed) local.destroy();
    // Our own file streams close their descriptor after destroy(): a caller that retries or
    // resumes must find the file complete and closed. Bounded: a foreign stream may never close.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished(local).catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
    throw signal?.aborted === true ? signal.reason : err;
  } finally {
    local.off('close', onClose);
    // Late errors of a destroyed stream stay handled; a stream that ended cleanly is the caller's again.
    if (!local.destroyed) local.off('error', listener);
  }
}

/** Which side failed first: the data connection (`network()` marks it) or the local stream. */
interface Failures {
  network(): void;
  /** The local stream's error, if the local side failed first. */
  local(): unknown;
  /** Set once the data connection is open: a local failure tears it down. */
  kill?: (err: Error) => void;
}

/** The part of runTransfer that owns an open data connection. */
async function transferOn(
  session: Session,
  raw: Socket,
  what: string,
  command: string,
  io: DataIo,
  signal: AbortSignal | undefined,
  extras: TransferExtras,
  started: number,
  failures: Failures,
): Promise<TransferOutcome> {
  const { control, options } = session;
  logData('%s open for %s', what, command.split(' ', 1)[0]);
  // The server may reset the data connection at any moment (e.g. right after a 550): such errors
  // must not go unhandled; pipeline() and the final reply report what happened.
  // The first failure decides whose it is: pipeline() passes a socket's error on to the local
  // stream and the local stream's error on to the socket, so later errors say nothing.
  raw.on('error', () => failures.network());
  let dataSocket: Socket = raw;
  let dataFailed = false;
  const killData = (err: Error): void => {
    failures.network();
    dataFailed = true;
    dataSocket.destroy(err);
    raw.destroy();
  };
  const onAbort = (): void => killData(signal?.reason instanceof Error ? signal.reason : new Error(String(signal?.reason)));
  signal?.addEventListener('abort', onAbort, { once: true });
  failures.kill = killData;

  try {
    let first: FtpReply;
    try {
      // REST after the data connection is up: it must be the last command before the transfer command.
      if (extras.restOffset !== undefined && extras.restOffset > 0) {
        const rest = `REST ${extras.restOffset}`;
        expectReply(await control.request(rest), rest, 350, 350);
      }
      control.write(command);
      first = await control.read();
    } catch (err) {
      raw.destroy();
      throw err;
    }
    if (first.code >= 300) {
      raw.destroy();
      throw new FtpReplyError(first.code, first.text, command);
    }
    // Usually 1xx now and the final reply later; a server may also answer 2xx straight away.
    // Once the data side has failed, a further 1xx ends the wait too: pure-ftpd reports a broken
    // transfer with a bare "150 … seconds" line and nothing after it.
    const readFinal = async (): Promise<FtpReply> => {
      for (;;) {
        const reply = await control.read(0);
        if (reply.code >= 200 || dataFailed) return reply;
      }
    };
    const finalReply = first.code < 200 ? readFinal() : Promise.resolve(first);
    finalReply.then(
      (reply) => {
        if (reply.code >= 300) killData(new FtpReplyError(reply.code, reply.text, command));
      },
      (err: Error) => killData(err),
    );

    let bytes = 0;
    let reused: boolean | undefined;
    const moveData = async (): Promise<void> => {
      if (session.tlsSessions !== undefined) {
        const tlsSocket = await connectTls(
          { ...session.tlsOptions, socket: raw, session: session.tlsSessions.take() },
          { timeoutMs: options.timeouts.connect, signal, what },
          session.tlsSessions,
        );
        tlsSocket.on('error', () => failures.network());
        dataSocket = tlsSocket;
        reused = tlsSocket.isSessionReused();
      }
      const socket = dataSocket;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.setTimeout(options.timeouts.data, () =>
        socket.destroy(new DataTimeoutError(`No data moved on the ${what} for ${options.timeouts.data} ms`)),
      );
      if (io.direction === 'download') {
        socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
        if (extras.onChunk !== undefined) socket.on('data', extras.onChunk);
        await pipeline(socket, io.sink);
      } else {
        io.source.on('data', (chunk: Buffer) => (bytes += chunk.length));
        if (extras.onChunk !== undefined) io.source.on('data', extras.onChunk);
        // Keep reading: TLS 1.3 tickets arrive here, and unread bytes would turn our close into a reset.
        socket.resume();
        // pipeline ends the socket: close_notify + FIN. The server's close means it has read it all.
        await pipeline(io.source, socket);
      }
      await closed;
    };

    let dataError: unknown;
    await moveData().catch((err: unknown) => {
      dataError = err;
      killData(err instanceof Error ? err : new Error(String(err)));
    });
    const reply = await withReplyTimeout(session, finalReply, command, dataError);
    const ownError = failures.local();
    if (ownError !== undefined) throw ownError;
    if (reply.code < 200 || reply.code >= 300) {
      throw new FtpReplyError(reply.code, reply.text, command, dataError === undefined ? undefined : { cause: dataError });
    }
    if (dataError !== undefined) throw asDataError(dataError, what);
    signal?.throwIfAborted();
    const durationMs = performance.now() - started;
    logData('%s done: %d bytes in %d ms, TLS session reused: %s', command.split(' ', 1)[0], bytes, Math.round(durationMs), reused);
    return { bytes, reply, tlsSessionReused: reused, durationMs };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    dataSocket.destroy();
    raw.destroy();
  }
}

/** A data-connection failure the server did not report: our typed errors as they are, socket errors as ConnectionError. */
function asDataError(err: unknown, what: string): unknown {
  if (err instanceof FtpsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectionError(`The ${what} failed: ${message}`, { cause: err });
}

/** Waits for the final reply once the data side is over; gives up the connection after the reply timeout. */
function withReplyTimeout(session: Session, finalReply: Promise<FtpReply>, command: string, dataError: unknown): Promise<FtpReply> {
  const { control, options } = session;
  const ms = options.timeouts.reply;
  const message = `No final reply to "${redactCommand(command)}" within ${ms} ms after the data connection ended`;
  // The data side's failure, if any, is what the caller needs to see as the cause.
  const timer = setTimeout(() => control.destroy(new ReplyTimeoutError(message, dataError === undefined ? undefined : { cause: dataError })), ms);
  return finalReply.finally(() => clearTimeout(timer));
}
