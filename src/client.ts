// FtpsClient: the public API. One command in flight per connection: calls made concurrently on one
// client are queued in call order (p-queue, concurrency 1), never rejected for being concurrent.
import type { Readable, Writable } from 'node:stream';
import PQueue from 'p-queue';
import { Deadline } from './deadline.js';
import { ClientClosedError, ConnectionError, ProtocolError } from './errors.js';
import { logControl } from './log.js';
import {
  checkCallTimeout,
  MAX_TIMER_MS,
  optionsFromUrl,
  resolveOptions,
  type FtpsClientOptions,
  type ResolvedOptions,
} from './options.js';
import { checkPath, formatCommand, formatRawCommand } from './protocol/command.js';
import type { FileInfo } from './protocol/listing/index.js';
import type { FtpReply } from './protocol/reply.js';
import { parseMdtmTime } from './protocol/time.js';
import { expectReply } from './session/control.js';
import { changeDir, currentDir } from './session/cwd.js';
import { runTransfer } from './session/data.js';
import { rename } from './session/files.js';
import { openSession } from './session/handshake.js';
import { IdleKeepalive, noop } from './session/keepalive.js';
import { fileSize, isNotFound, setLastModified, stat } from './session/metadata.js';
import type { Session } from './session/session.js';
import { removeDir, ensureDir } from './transfer/dirs.js';
import { openDestination, openSource, type DownloadDestination, type UploadSource } from './transfer/endpoints.js';
import {
  checkStreamOptions,
  downloadFile,
  hasTransferExtras,
  streamDownload,
  streamUpload,
  transferResult,
  uploadFile,
  type DownloadOptions,
  type ReadStreamOptions,
  type TransferResult,
  type UploadOptions,
  type WriteStreamOptions,
} from './transfer/file-transfer.js';
import { listAll, listDirectory } from './transfer/listing.js';
import { downloadStream, uploadStream } from './transfer/streams.js';
import type { TlsInfo } from './transport/tls-info.js';

/**
 * Options every client call takes as its last argument: cancel it with a signal, or bound how long
 * it may run. Calls on one client run one after another; both apply to this call only.
 */
export interface OperationOptions {
  /** Aborting rejects the call with `signal.reason`; see docs/errors.md for the client's state afterwards. */
  signal?: AbortSignal;
  /**
   * Overall deadline of this call in ms, counted from when it starts running (not while queued);
   * overrides `timeouts.operation`. Past it the call is aborted and rejects with
   * OperationTimeoutError. `Infinity`: none.
   */
  timeout?: number;
}

/** ClientClosedErrors (and reconnect failures) of calls that never started: nothing of theirs reached the server. */
const NOT_STARTED = new WeakSet<object>();

/** Whether `err` comes from a call that never started, so running it again elsewhere is always safe. */
export function neverStarted(err: unknown): boolean {
  return typeof err === 'object' && err !== null && NOT_STARTED.has(err);
}

function markNotStarted(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) NOT_STARTED.add(err);
  return err;
}

/** `options` with `signal` in place of its own (the call's signal combined with its deadline). */
function withSignal<O extends { signal?: AbortSignal }>(options: O, signal: AbortSignal | undefined): O {
  const { signal: _own, ...rest } = options;
  return (signal === undefined ? rest : { ...rest, signal }) as O;
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

/** Rejects with `signal.reason` as soon as the signal aborts, whatever `task` does. */
function raceAbort<T>(task: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return task;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    task.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export type { TransferResult };

/** A session-level operation run as one call of a client. */
export type SessionOperation<T> = (session: Session, signal: AbortSignal | undefined) => Promise<T>;

/**
 * Runs `op` as a call of `client` (its queue, deadline and reconnect rules, as every method does).
 * Not public: the pool hands it to transfer/ code that works on sessions (segmented downloads).
 */
export let runOnSession: <T>(client: FtpsClient, call: OperationOptions, op: SessionOperation<T>) => Promise<T>;

/**
 * One logged-in FTP/FTPS connection (control connection plus a data connection per transfer).
 * Create it with {@link FtpsClient.connect} (or {@link "ftps-client"!connect | connect}); close it with `close()` or
 * `await using`.
 *
 * One command is in flight at a time: calls made concurrently are queued and run in call order,
 * never rejected for being concurrent. For parallel transfers use a pool ({@link createPool}).
 *
 * Every call takes {@link OperationOptions} (`signal`, `timeout`) last, and may reject with:
 * {@link FtpReplyError} (`ERR_FTPS_REPLY`, a 4xx/5xx answer), {@link ConnectionError}
 * (`ERR_FTPS_CONNECTION`), {@link ReplyTimeoutError} (`ERR_FTPS_REPLY_TIMEOUT`),
 * {@link OperationTimeoutError} (`ERR_FTPS_OPERATION_TIMEOUT`), {@link ProtocolError}
 * (`ERR_FTPS_PROTOCOL`), {@link ClientClosedError} (`ERR_FTPS_CLIENT_CLOSED`, after `close()` or a
 * fatal error), {@link InvalidArgumentError} (`ERR_FTPS_INVALID_ARGUMENT`, a path with CR, LF or NUL,
 * or not a string), or `signal.reason` when aborted. Transfers add {@link DataTimeoutError},
 * {@link TlsError}, {@link TruncatedTransferError} and {@link VerifyError}. Which state the client is
 * in afterwards is in docs/errors.md.
 */
export class FtpsClient implements AsyncDisposable {
  static {
    runOnSession = (client, call, op) => client.#run(call, op);
  }

  #session: Session;
  readonly #options: ResolvedOptions;
  readonly #queue = new PQueue({ concurrency: 1 });
  readonly #keepalive: IdleKeepalive | undefined;
  /** With `reconnect`: the directory to restore on a new connection (set by cd()). */
  #cwd: string | undefined;
  #closing: Promise<void> | undefined;

  private constructor(session: Session, options: ResolvedOptions) {
    this.#session = session;
    this.#options = options;
    if (options.keepAliveMs !== undefined) {
      const keepalive = new IdleKeepalive(options.keepAliveMs, () => this.#probe());
      this.#queue.on('idle', () => {
        if (!this.closed) keepalive.idle();
      });
      keepalive.idle();
      this.#keepalive = keepalive;
    }
  }

  /** Idle keepalive: a NOOP through the queue. A dead connection fails it and is closed (reply timeout). */
  #probe(): void {
    if (this.closed || this.#queue.size + this.#queue.pending > 0) return;
    const session = this.#session;
    void this.#queue
      .add(async () => (session.closedBy === undefined ? noop(session) : undefined))
      .catch((err: unknown) => {
        logControl('keepalive NOOP failed: %s', err instanceof Error ? err.message : String(err));
      });
  }

  /**
   * Connects and logs in. Accepts an options object or a URL: `ftps://` (implicit TLS),
   * `ftpes://` (explicit TLS) or `ftp://` (plain FTP), with user, password and port in the URL;
   * `overrides` are merged over what the URL says.
   *
   * @param target - Options ({@link FtpsClientOptions}: `host` is required) or an FTP URL.
   * @param overrides - Client options merged over `target` (for a URL: `tls`, `timeouts`, …).
   * @param options - `signal` aborts the connect; the whole connect is bounded by `timeouts.connect`.
   * @returns A logged-in client, with the FEAT answer read and TLS negotiated.
   * @throws TypeError or RangeError for a mistake in the options, naming the option (nothing is sent).
   * @throws {@link ConnectionError} `ERR_FTPS_CONNECTION` (refused, reset, DNS), {@link ProxyError}
   *   `ERR_FTPS_PROXY`, {@link ConnectTimeoutError} `ERR_FTPS_CONNECT_TIMEOUT`, {@link TlsError}
   *   `ERR_FTPS_TLS` (handshake, certificate, AUTH TLS refused), {@link TlsPinError}
   *   `ERR_FTPS_TLS_PIN`, {@link FtpReplyError} `ERR_FTPS_REPLY` (e.g. 530 login refused, 421 at the
   *   greeting), {@link ProtocolError} `ERR_FTPS_PROTOCOL`.
   */
  static async connect(
    target: FtpsClientOptions | string | URL,
    overrides: Partial<FtpsClientOptions> = {},
    { signal }: OperationOptions = {},
  ): Promise<FtpsClient> {
    const base = typeof target === 'string' || target instanceof URL ? optionsFromUrl(target) : target;
    const options = resolveOptions({ ...base, ...overrides } as FtpsClientOptions);
    return new FtpsClient(await openSession(options, signal), options);
  }

  /** True once the connection is gone (closed by `close()`, by the server, or after a fatal error). */
  get closed(): boolean {
    return this.#closing !== undefined || this.#session.closedBy !== undefined;
  }

  /** Negotiated TLS of the control connection (protocol, cipher, peer certificate); undefined on plain FTP. */
  get tls(): TlsInfo | undefined {
    return this.#session.tlsInfo;
  }

  /**
   * The server's FEAT answer (read at login): upper-cased feature name → parameters, e.g. `MLST` →
   * `type*;size*;modify*;`.
   */
  features(): ReadonlyMap<string, string> {
    return this.#session.features;
  }

  /**
   * Queues `op` behind every earlier call on this connection. Public methods are `async` and
   * validate their arguments before calling this synchronously: a bad argument rejects the
   * returned promise, and call order is still the order of the calls. `op` gets the signal to
   * pass on: the caller's, combined with the call's deadline.
   */
  #run<T>(call: OperationOptions, op: (session: Session, signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const timeoutMs = checkCallTimeout(call.timeout) ?? this.#options.timeouts.operation;
    const deadline = timeoutMs < MAX_TIMER_MS ? new Deadline(timeoutMs) : undefined;
    const signal = anySignal(call.signal, deadline?.signal);
    this.#keepalive?.stop();
    const task = this.#queue.add(async () => {
      deadline?.start();
      try {
        signal?.throwIfAborted();
        return await op(await this.#ready(signal), signal);
      } finally {
        deadline?.clear();
      }
    });
    // If the caller stops waiting (abort, deadline), the task still settles (holding the queue
    // until the connection is in step again); nobody must see its rejection.
    task.catch(() => undefined);
    return raceAbort(task, signal);
  }

  /**
   * The session to run the next call on. A lost connection is an error for the call (it never
   * started), or with `reconnect` a new login, back in the directory cd() last chose. A connection
   * to retire (Session.retireReason) is replaced first, whatever `reconnect` says (#retire).
   */
  async #ready(signal: AbortSignal | undefined): Promise<Session> {
    const current = this.#session;
    if (this.#closing === undefined && current.closedBy === undefined) {
      if (current.retireReason === undefined) return current;
      const replaced = await this.#retire(current, signal);
      if (replaced !== undefined) return replaced;
    }
    const cause = this.#session.closedBy;
    if (this.#closing !== undefined || !this.#options.reconnect || cause instanceof ClientClosedError) {
      throw markNotStarted(
        new ClientClosedError(
          cause === undefined || cause instanceof ClientClosedError
            ? 'Client is closed'
            : `Client is closed: ${cause.message}`,
          { cause },
        ),
      );
    }
    logControl('reconnecting after: %s', cause?.message);
    return this.#replace(signal, this.#cwd);
  }

  /**
   * Gives up a connection that is in step but must not run another call (a cut listing on a server
   * that may send its rest into the next one): asks where it is (PWD), QUITs it and logs in afresh
   * there. Nothing was lost, so this needs no `reconnect`. A failing PWD or login leaves the client
   * as a lost connection would (undefined, or the login's error): with `reconnect` the next call
   * tries again, without it the client is closed.
   */
  async #retire(old: Session, signal: AbortSignal | undefined): Promise<Session | undefined> {
    const reason = old.retireReason;
    logControl('retiring the connection: %s', reason);
    let cwd: string;
    try {
      cwd = await currentDir(old);
    } catch (err) {
      old.markClosed(new ConnectionError(`Connection retired (${reason}), its directory unknown`, { cause: err }));
      old.control.destroy(new ClientClosedError());
      return undefined;
    }
    old.markClosed(new ConnectionError(`Connection retired: ${reason}`));
    const quitting = old.control.quit(Math.min(old.options.timeouts.reply, 5_000));
    try {
      return await this.#replace(signal, cwd);
    } finally {
      await quitting;
    }
  }

  /** A new login in place of the current session, in `cwd` when given. Its errors count as "never started". */
  async #replace(signal: AbortSignal | undefined, cwd: string | undefined): Promise<Session> {
    try {
      const session = await openSession(this.#options, signal);
      if (this.#closing !== undefined) {
        session.control.destroy(new ClientClosedError());
        throw new ClientClosedError('Client closed while reconnecting');
      }
      this.#session = session;
      if (cwd !== undefined) await changeDir(session, cwd);
      return session;
    } catch (err) {
      throw markNotStarted(err);
    }
  }

  async #command(session: Session, line: string, min = 200, max = 299): Promise<FtpReply> {
    return expectReply(await session.control.request(line), line, min, max);
  }

  /**
   * Sends a raw command line and returns the final reply. Not for commands that open a data
   * connection (use the transfer methods).
   *
   * @param line - The whole command line without CRLF, e.g. `'SITE CHMOD 644 /a.txt'`.
   * @returns The final reply (1xx–3xx).
   * @throws {@link FtpReplyError} `ERR_FTPS_REPLY` on a 4xx/5xx reply; {@link InvalidArgumentError}
   *   `ERR_FTPS_INVALID_ARGUMENT` for an empty line or CR, LF or NUL in it.
   */
  async send(line: string, call: OperationOptions = {}): Promise<FtpReply> {
    const command = formatRawCommand(line);
    return this.#run(call, (s) => this.#command(s, command, 100, 399));
  }

  /** Current remote directory. */
  async pwd(call: OperationOptions = {}): Promise<string> {
    return this.#run(call, (s) => currentDir(s));
  }

  /** A one-command operation on a path that wants a 2xx. */
  async #pathCommand(verb: 'MKD' | 'RMD' | 'DELE', path: string, call: OperationOptions): Promise<void> {
    checkPath(path, 'path');
    const line = formatCommand(verb, path);
    return this.#run(call, async (s) => void (await this.#command(s, line)));
  }

  /** Changes the remote directory (CWD). With `reconnect`, a PWD follows, to know where to return after a reconnect. */
  async cd(path: string, call: OperationOptions = {}): Promise<void> {
    checkPath(path, 'path');
    return this.#run(call, async (s) => {
      await changeDir(s, path);
      if (this.#options.reconnect)
        this.#cwd = await currentDir(s).catch(() => (path.startsWith('/') ? path : undefined));
    });
  }

  /** Creates one folder (MKD); see ensureDir for mkdir -p. */
  async mkdir(path: string, call: OperationOptions = {}): Promise<void> {
    return this.#pathCommand('MKD', path, call);
  }

  /** Removes an empty folder (RMD); see removeDir for recursive removal. */
  async rmdir(path: string, call: OperationOptions = {}): Promise<void> {
    return this.#pathCommand('RMD', path, call);
  }

  /** Deletes a file (DELE). */
  async remove(path: string, call: OperationOptions = {}): Promise<void> {
    return this.#pathCommand('DELE', path, call);
  }

  /**
   * Renames or moves a file or folder (RNFR + RNTO).
   *
   * @throws {@link FtpReplyError} `ERR_FTPS_REPLY` when the server refuses either step (e.g. 550).
   */
  async rename(from: string, to: string, call: OperationOptions = {}): Promise<void> {
    checkPath(from, 'from');
    checkPath(to, 'to');
    return this.#run(call, (s) => rename(s, from, to));
  }

  /**
   * Size in bytes (SIZE).
   *
   * @throws {@link FtpReplyError} `ERR_FTPS_REPLY` (550: no such file, or a folder);
   *   {@link ProtocolError} `ERR_FTPS_PROTOCOL` for a 213 reply that is not a number.
   */
  async size(path: string, call: OperationOptions = {}): Promise<number> {
    checkPath(path, 'path');
    return this.#run(call, (s) => fileSize(s, path));
  }

  /**
   * Modification time (MDTM), in UTC as RFC 3659 specifies.
   *
   * @throws {@link FtpReplyError} `ERR_FTPS_REPLY` (550: no such file); {@link ProtocolError}
   *   `ERR_FTPS_PROTOCOL` for a reply that is not a time.
   */
  async lastModified(path: string, call: OperationOptions = {}): Promise<Date> {
    checkPath(path, 'path');
    const line = formatCommand('MDTM', path);
    return this.#run(call, async (s) => {
      const reply = await this.#command(s, line, 213, 213);
      const parsed = parseMdtmTime(reply.text);
      if (parsed === undefined) throw new ProtocolError(`Bad MDTM reply: ${reply.text}`);
      return parsed.date;
    });
  }

  /**
   * Lists a directory (default: the current one) into an array. Uses MLSD when the server
   * advertises MLST, else LIST with the Unix/DOS parsers; entries no parser understands come back
   * as type 'unknown' with an empty name and the raw line.
   *
   * @param path - The folder; default the current one.
   * @throws {@link ListingTooLargeError} `ERR_FTPS_LISTING_TOO_LARGE` past `maxListEntries` entries
   *   (default 100 000; for huge folders use `listIter`); {@link TruncatedTransferError}
   *   `ERR_FTPS_TRUNCATED` when the listing's data connection ended without TLS close_notify;
   *   {@link DataTimeoutError} `ERR_FTPS_DATA_TIMEOUT`.
   */
  async list(path?: string, call: OperationOptions = {}): Promise<FileInfo[]> {
    checkPath(path, 'path', { optional: true });
    return this.#run(call, (s, signal) => listAll(s, path, signal));
  }

  /**
   * Lists a directory as an async iterator, yielding entries while the listing arrives. The data
   * connection is read only as fast as the loop consumes, so memory stays bounded (one received
   * chunk's entries plus socket buffers) whatever the folder size. Leaving the loop early cuts the
   * listing (data connection reset, ABOR) on servers known to keep nothing of a cut listing (vsftpd,
   * proftpd), and elsewhere reads the rest without keeping it, since pure-ftpd, for one, sends what it
   * had buffered into the next listing. A `signal` cuts it off anywhere; on servers not known to be
   * safe, the next call then runs on a fresh login (docs/errors.md). The connection is busy until
   * the listing has ended.
   *
   * @param path - The folder; default the current one.
   * @throws The iterator rejects as `list()` does (but never with ListingTooLargeError).
   */
  listIter(path?: string, call: OperationOptions = {}): AsyncGenerator<FileInfo, void, undefined> {
    checkPath(path, 'path', { optional: true }); // now, not at the first next()
    return this.#iterate(path, call);
  }

  async *#iterate(path: string | undefined, call: OperationOptions): AsyncGenerator<FileInfo, void, undefined> {
    let pending: { entries: FileInfo[]; done: () => void } | undefined;
    let wake: (() => void) | undefined;
    let discard = false;
    let finished = false;
    let failure: unknown;
    let session: Session | undefined;
    // Leaving the loop early cuts the listing where the server keeps nothing of a cut one.
    const cut = new AbortController();
    const onBatch = (entries: FileInfo[], done: () => void): void => {
      if (discard) {
        done();
        return;
      }
      pending = { entries, done };
      wake?.();
    };
    const task = this.#run(withSignal(call, anySignal(call.signal, cut.signal)), (s, signal) => {
      session = s;
      return listDirectory(s, path, (entries, done) => onBatch(entries, () => done()), signal);
    }).then(
      () => (finished = true),
      (err: unknown) => ((failure = err), (finished = true)),
    );
    void task.finally(() => wake?.());
    try {
      for (;;) {
        while (pending === undefined && !finished) await new Promise<void>((resolve) => (wake = resolve));
        if (pending === undefined) break;
        const batch = pending;
        pending = undefined;
        batch.done(); // read the next chunk while this batch is consumed
        yield* batch.entries;
      }
      if (failure !== undefined) throw failure;
    } finally {
      if (!finished) {
        discard = true;
        // Elsewhere the rest is read and thrown away: a drain keeps the connection, a cut would retire it.
        if (session?.quirks.cleanAfterCutListing === true) cut.abort(new Error('listIter loop left early'));
        pending?.done();
        await task;
      }
    }
  }

  /**
   * Facts about one file or folder: MLST when offered, else SIZE + MDTM (files) or a CWD probe (folders).
   *
   * @throws {@link FtpReplyError} `ERR_FTPS_REPLY` (550/450) when it does not exist.
   */
  async stat(path: string, call: OperationOptions = {}): Promise<FileInfo> {
    checkPath(path, 'path');
    return this.#run(call, (s) => stat(s, path));
  }

  /** Whether a file or folder exists (a 550/450 answer to the stat means no). */
  async exists(path: string, call: OperationOptions = {}): Promise<boolean> {
    checkPath(path, 'path');
    return this.#run(call, (s) =>
      stat(s, path).then(
        () => true,
        (err: unknown) => {
          if (isNotFound(err)) return false;
          throw err;
        },
      ),
    );
  }

  /**
   * Sets a file's modification time (MFMT, or `MDTM time path` where MFMT is missing, as on vsftpd).
   *
   * @throws TypeError when `date` is not a valid Date; {@link FtpReplyError} `ERR_FTPS_REPLY` when
   *   the server refuses (or supports neither command: 500/502).
   */
  async setLastModified(path: string, date: Date, call: OperationOptions = {}): Promise<void> {
    checkPath(path, 'path');
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TypeError('date must be a valid Date');
    return this.#run(call, (s) => setLastModified(s, path, date));
  }

  /** Creates the folder and every missing parent (mkdir -p); fine if they already exist. */
  async ensureDir(path: string, call: OperationOptions = {}): Promise<void> {
    checkPath(path, 'path');
    return this.#run(call, (s) => ensureDir(s, path));
  }

  /**
   * Removes a folder; with `recursive: true` its content first (symlinks are deleted, not followed).
   *
   * @param call - Also `recursive` (default false: the folder must be empty, RMD).
   * @throws {@link TreeTooDeepError} `ERR_FTPS_TREE_TOO_DEEP` when a recursive walk goes too deep or
   *   finds a loop; {@link FtpReplyError} `ERR_FTPS_REPLY` for a refused DELE or RMD.
   */
  async removeDir(path: string, call: OperationOptions & { recursive?: boolean } = {}): Promise<void> {
    checkPath(path, 'path');
    const recursive = call.recursive ?? false;
    return this.#run(call, (s, signal) => removeDir(s, path, recursive, signal));
  }

  /**
   * Uploads a local file (path), a Buffer or a Readable to `remotePath` (STOR). Resolves after the
   * server confirmed the whole file (226) and closed the data connection. A local file is opened
   * before anything is sent; a Readable is destroyed if the transfer fails. Options: `resume`,
   * `verify`, `onProgress`, `atomic` (docs/transfers.md).
   *
   * @param source - A local file path, a Buffer/Uint8Array, or a Readable.
   * @param remotePath - Where to store it on the server.
   * @returns Bytes sent, duration, the offset resumed from, verification, TLS session reuse, the 226.
   * @throws {@link VerifyError} `ERR_FTPS_VERIFY` when `verify` finds a different size or hash;
   *   {@link DataTimeoutError} `ERR_FTPS_DATA_TIMEOUT`; {@link TlsError} `ERR_FTPS_TLS` (the data
   *   connection's handshake); {@link FtpReplyError} `ERR_FTPS_REPLY` (e.g. 553, a 522/425 from a
   *   server demanding TLS session reuse, or 426/451); Node's own error (ENOENT, …) when the local
   *   file cannot be opened or read.
   */
  async upload(
    source: UploadSource,
    remotePath: string,
    options: UploadOptions & OperationOptions = {},
  ): Promise<TransferResult> {
    checkPath(remotePath, 'remotePath');
    if (hasTransferExtras(options))
      return this.#run(options, (s, signal) => uploadFile(s, source, remotePath, withSignal(options, signal)));
    const line = formatCommand('STOR', remotePath);
    return this.#run(options, async (s, signal) => {
      const started = performance.now();
      return transferResult(
        await runTransfer(s, line, { direction: 'upload', source: await openSource(source) }, signal),
        started,
      );
    });
  }

  /**
   * Downloads `remotePath` (RETR) into a local file (path) or a Writable, which is ended when the
   * transfer succeeds and destroyed when it fails (as stream.pipeline does). On failure the promise
   * rejects. Options: `resume`, `verify`, `onProgress` (docs/transfers.md).
   *
   * @param remotePath - The file on the server.
   * @param destination - A local file path or a Writable. A local path is written to a temporary
   *   sibling and renamed into place once the transfer is proven complete; with `resume: true` it is
   *   written in place, so a failed attempt leaves its partial data for the next one.
   * @returns Bytes received, duration, the offset resumed from, verification, TLS session reuse, the 226.
   * @throws {@link TruncatedTransferError} `ERR_FTPS_TRUNCATED` when the data stream ended without
   *   TLS close_notify or short of the announced size; {@link VerifyError} `ERR_FTPS_VERIFY`;
   *   {@link DataTimeoutError} `ERR_FTPS_DATA_TIMEOUT`; {@link TlsError} `ERR_FTPS_TLS`;
   *   {@link FtpReplyError} `ERR_FTPS_REPLY` (550: no such file); Node's own error when the local
   *   file cannot be written.
   */
  async download(
    remotePath: string,
    destination: DownloadDestination,
    options: DownloadOptions & OperationOptions = {},
  ): Promise<TransferResult> {
    checkPath(remotePath, 'remotePath');
    if (hasTransferExtras(options))
      return this.#run(options, (s, signal) => downloadFile(s, remotePath, destination, withSignal(options, signal)));
    const line = formatCommand('RETR', remotePath);
    return this.#run(options, async (s, signal) => {
      const started = performance.now();
      return transferResult(
        await runTransfer(s, line, { direction: 'download', sink: await openDestination(destination) }, signal),
        started,
      );
    });
  }

  /**
   * The remote file as a Readable (RETR; REST first with `start`). Backpressure reaches the server;
   * the stream ends only after the server confirmed the transfer (226). It holds this connection's
   * queue slot while it runs: read it to the end or destroy it (destroying aborts the transfer; the
   * client stays usable). `result` resolves with the TransferResult.
   *
   * @param options - `start` (REST offset), `onProgress`, `signal`.
   * @returns The stream, with `result`. Errors (as for `download()`) destroy the stream and reject `result`.
   * @throws {@link InvalidArgumentError} `ERR_FTPS_INVALID_ARGUMENT` (at once) for a bad path; RangeError for a bad
   * `start`.
   */
  createReadStream(
    remotePath: string,
    options: ReadStreamOptions = {},
  ): Readable & {
    /** Resolves with the transfer's result once the server confirmed it (226); rejects with its error. */
    readonly result: Promise<TransferResult>;
  } {
    checkPath(remotePath, 'remotePath');
    checkStreamOptions(options);
    const { stream, result } = downloadStream((sink, internal) => {
      const signal = options.signal === undefined ? internal : AbortSignal.any([options.signal, internal]);
      return this.#run({ signal }, (s, sig) => streamDownload(s, remotePath, sink, sig ?? signal, options));
    });
    return Object.assign(stream, { result });
  }

  /**
   * A Writable that uploads to `remotePath` (STOR; APPE with `append`; REST + STOR with `start`).
   * 'finish' is emitted only after the server confirmed the transfer (226); errors of the transfer
   * destroy the stream. Destroying it aborts the upload. `result` resolves with the TransferResult.
   *
   * @param options - `append` (APPE), `start` (REST offset), `onProgress`, `signal`.
   * @returns The stream, with `result`. Errors (as for `upload()`) destroy the stream and reject `result`.
   * @throws {@link InvalidArgumentError} `ERR_FTPS_INVALID_ARGUMENT` (at once) for a bad path; RangeError for a bad
   * `start`, TypeError for `append` with `start`.
   */
  createWriteStream(
    remotePath: string,
    options: WriteStreamOptions = {},
  ): Writable & {
    /** Resolves with the transfer's result once the server confirmed it (226); rejects with its error. */
    readonly result: Promise<TransferResult>;
  } {
    checkPath(remotePath, 'remotePath');
    checkStreamOptions(options);
    const { stream, result } = uploadStream((source, internal) => {
      const signal = options.signal === undefined ? internal : AbortSignal.any([options.signal, internal]);
      return this.#run({ signal }, (s, sig) => streamUpload(s, remotePath, source, sig ?? signal, options));
    });
    return Object.assign(stream, { result });
  }

  /**
   * Closes the connection: QUIT when idle, at once otherwise (calls in flight or queued reject with
   * ClientClosedError). Idempotent; later calls reject with ClientClosedError.
   */
  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    this.#keepalive?.stop();
    const { control, options } = this.#session;
    // Queued calls still run, and reject at once with ClientClosedError (#assertOpen).
    if (this.#queue.pending > 0) control.destroy(new ClientClosedError('Client closed during the operation'));
    else await control.quit(Math.min(options.timeouts.reply, 5_000));
    this.#session.markClosed(new ClientClosedError());
  }

  /** `await using client = await FtpsClient.connect(…)` closes it (as `close()`) at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
