// FtpsPool: up to N logged-in FtpsClients behind a p-queue. Each connection still runs one command
// at a time; the pool runs up to N operations at once, each on a connection of its own.
//
// Connections are opened lazily (when an operation needs one and none is idle), kept open for the
// next operation, and dropped when they break (the next operation opens a fresh one). A server
// that refuses another connection because of a per-client limit (421 at the greeting, or a
// "too many connections" answer, or dropping the connection twice in a row) makes the pool shrink
// to the connections it already has; `regrowDelayMs` after the last refusal it tries one more.
import { publish as diagnostics } from './diagnostics.js';
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import {
  FtpsClient,
  neverStarted,
  runOnSession,
  type OperationOptions,
  type SessionOperation,
  type TransferResult,
} from './client.js';
import {
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  DataTimeoutError,
  FtpReplyError,
  ReplyTimeoutError,
} from './errors.js';
import { RetryPolicy, type RetryPolicyOptions } from './retry-policy.js';
import { checkCallTimeout, MAX_TIMER_MS, optionsFromUrl, resolveOptions, type FtpsClientOptions } from './options.js';
import { Deadline } from './deadline.js';
import type { FileInfo } from './protocol/listing/index.js';
import { checkPath } from './protocol/command.js';
import type { FtpReply } from './protocol/reply.js';
import type { DownloadDestination, UploadSource } from './transfer/endpoints.js';
import {
  checkSegments,
  segmentedDownload,
  type SegmentedDownloadOptions,
  type SegmentRunner,
} from './transfer/segmented.js';
import {
  downloadDir,
  mirror,
  uploadDir,
  type MirrorOptions,
  type TreeOptions,
  type TreeResult,
} from './transfer/tree.js';

/** The pool's own options, the last argument of {@link createPool}. A mistake is a RangeError at once. */
export interface PoolOptions {
  /** Most connections open at once (and operations running at once). Default 4. */
  size?: number;
  /**
   * When the pool's methods retry an operation, each time on a working (often fresh) connection:
   * `retries` (default 2), `minDelayMs` (100), `maxDelayMs` (5 000), `factor` (2), `jitter` (0.5)
   * and `retryOn(error, attempt)` (default `isTransientError`). Only operations that are safe to
   * repeat are retried; see docs/pool-and-trees.md. `run()` retries only when asked.
   */
  retry?: RetryPolicyOptions;
  /** Same as `retry.retries` (kept for compatibility). */
  retries?: number;
  /** Same as `retry.minDelayMs` (kept for compatibility; the pauses now grow by `retry.factor`). */
  retryDelayMs?: number;
  /**
   * After the server refused a connection (and the pool shrank), how long until the pool tries one
   * more connection again, up to `size`. Default 30 000 ms.
   */
  regrowDelayMs?: number;
}

/**
 * Options of {@link FtpsPool.run} and of the pool's single-file methods: a call's `signal` and `timeout`, and
 * `retries`.
 */
export interface PoolRunOptions extends OperationOptions {
  /**
   * Retries after a transient failure, on another connection. Default 0 for `run()`, the pool's `retries` for its
   * methods.
   */
  retries?: number;
}

/** Options of {@link FtpsPool.close}. */
export interface PoolCloseOptions {
  /** Aborting it cancels the operations still running or queued (they reject) and closes at once. */
  signal?: AbortSignal;
}

/** A snapshot of the pool's connections and queue, from {@link FtpsPool.stats}. */
export interface PoolStats {
  /** The most connections the pool will open now (`options.size`, or less after a server refused more). */
  size: number;
  /** `options.size`. */
  maxSize: number;
  /** Connections open and alive (idle or busy); one found dead is no longer counted. */
  open: number;
  /** Connections running an operation. */
  busy: number;
  /** Operations waiting for a connection. */
  queued: number;
}

/**
 * Whether trying again (on a fresh or another connection) may work: 4xx replies, a lost or reset
 * connection, a stalled data connection, a connect or reply timeout, a client closed because its
 * connection broke. Aborts, deadlines, 5xx replies, TLS and protocol errors are not transient.
 */
export function isTransientError(err: unknown): boolean {
  if (err instanceof FtpReplyError) return err.transient || isTooManyConnections(err);
  if (err instanceof ConnectionError || err instanceof DataTimeoutError) return true;
  // The timed-out connection is closed; a fresh one may well answer.
  if (err instanceof ConnectTimeoutError || err instanceof ReplyTimeoutError) return true;
  if (err instanceof ClientClosedError) {
    // close() by the user has no cause (or a ClientClosedError); a dropped connection has its reason.
    const cause = err.cause;
    return cause !== undefined && !(cause instanceof ClientClosedError) && !(cause instanceof DOMException);
  }
  return false;
}

const TOO_MANY =
  /too many|maximum number of|max(imum)?[ _-]?(clients|connections|sessions)|connection limit|limit of \d+/i;

/**
 * Whether a failed connect means "this server allows no more connections from you": 421 at the
 * greeting (vsftpd `max_per_ip`, pure-ftpd `-C`), or any 4xx/5xx naming a connection limit
 * (proftpd `MaxClientsPerHost` answers 530 "Sorry, the maximum number of clients ...").
 */
export function isTooManyConnections(err: unknown): boolean {
  if (!(err instanceof FtpReplyError)) return false;
  if (err.replyCode === 421 && err.command === 'greeting') return true;
  return err.replyCode >= 400 && TOO_MANY.test(err.replyText);
}

interface Pooled {
  client: FtpsClient;
  busy: boolean;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

const POOL_OPTION_KEYS: ReadonlySet<string> = new Set(['size', 'retry', 'retries', 'retryDelayMs', 'regrowDelayMs']);

/** Whether an argument holds pool options only (no client option shares a name with them). */
function isPoolOptions(value: object): boolean {
  const keys = Object.keys(value);
  const pool = keys.filter((k) => POOL_OPTION_KEYS.has(k)).length;
  if (pool > 0 && pool < keys.length)
    throw new TypeError(
      'createPool: pool options (size, retry, …) and client options mixed in one argument; use createPool(target, overrides, poolOptions)',
    );
  return pool > 0;
}

/**
 * Creates a pool; no connection is opened until the first operation. Arguments follow the rule of
 * `connect`: the target, then overrides of its client options, then the options of this call (here
 * the pool's). See docs/pool-and-trees.md for the rule and the pool-options-second form.
 */
export function createPool(
  target: FtpsClientOptions | string | URL,
  overrides?: Partial<FtpsClientOptions>,
  poolOptions?: PoolOptions,
): FtpsPool;
/**
 * Pool options second (`createPool(target, { size: 4 })`, the order before 0.2): read as pool options, since no client
 * option shares their names.
 */
export function createPool(
  target: FtpsClientOptions | string | URL,
  poolOptions: PoolOptions,
  overrides?: Partial<FtpsClientOptions>,
): FtpsPool;
export function createPool(
  target: FtpsClientOptions | string | URL,
  second: object = {},
  third: object = {},
): FtpsPool {
  const legacy = isPoolOptions(second) || (Object.keys(third).length > 0 && !isPoolOptions(third));
  return legacy
    ? new FtpsPool(target, second as PoolOptions, third)
    : new FtpsPool(target, third as PoolOptions, second);
}

/**
 * Up to `size` logged-in connections to one server, opened lazily and reused; operations run in
 * parallel, each on a connection of its own, and queue when all are busy. Broken connections are
 * replaced; a server that limits connections per client makes the pool shrink, then try to regrow
 * (`regrowDelayMs`). Operations that are safe to repeat are retried after transient failures
 * ({@link isTransientError}, `retry`). Create it with {@link createPool}; close it with `close()`
 * or `await using`.
 *
 * Methods reject as the same {@link FtpsClient} methods do (and with {@link ClientClosedError}
 * `ERR_FTPS_CLIENT_CLOSED` once the pool is closing), after any retries. Connect failures of a
 * fresh connection (TLS, login, timeouts) reject the operation that needed it.
 */
export class FtpsPool implements AsyncDisposable {
  readonly #options: FtpsClientOptions;
  readonly #maxSize: number;
  readonly #policy: RetryPolicy;
  readonly #queue: PQueue;
  readonly #conns = new Set<Pooled>();
  /** Woken whenever a connection is released, dropped, or an opening attempt ended. */
  #waiters: (() => void)[] = [];
  #target: number;
  readonly #regrowDelayMs: number;
  /** When a connection was last refused, or the target last raised (performance.now()). */
  #limitSeenAt = 0;
  /** Connect attempts that failed with a bare ConnectionError since the last one that worked. */
  #connectFailures = 0;
  #opening = 0;
  #closing: Promise<void> | undefined;
  /** Aborted by close({ signal }) when that signal aborts: cancels every operation. */
  readonly #cancel = new AbortController();

  /**
   * Prefer {@link createPool}, whose argument order matches `connect`. Opens no connection.
   *
   * @throws TypeError or RangeError for a mistake in the client or pool options.
   */
  constructor(
    target: FtpsClientOptions | string | URL,
    poolOptions: PoolOptions = {},
    overrides: Partial<FtpsClientOptions> = {},
  ) {
    const base = typeof target === 'string' || target instanceof URL ? optionsFromUrl(target) : target;
    this.#options = { ...base, ...overrides } as FtpsClientOptions;
    resolveOptions(this.#options); // option mistakes surface now, not at the first operation
    const size = poolOptions.size ?? 4;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`Option "size" must be an integer >= 1, got ${String(poolOptions.size)}`);
    const retries = poolOptions.retries;
    if (retries !== undefined && (!Number.isInteger(retries) || retries < 0))
      throw new RangeError(`Option "retries" must be an integer >= 0, got ${String(retries)}`);
    const delay = poolOptions.retryDelayMs;
    if (delay !== undefined && (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0))
      throw new RangeError('Option "retryDelayMs" must be a number >= 0');
    const retry: RetryPolicyOptions = { ...poolOptions.retry };
    if (retry.retries === undefined && retries !== undefined) retry.retries = retries;
    if (retry.minDelayMs === undefined && delay !== undefined) retry.minDelayMs = delay;
    this.#policy = new RetryPolicy(retry, isTransientError);
    const regrow = poolOptions.regrowDelayMs ?? 30_000;
    if (typeof regrow !== 'number' || !Number.isFinite(regrow) || regrow < 0)
      throw new RangeError('Option "regrowDelayMs" must be a number >= 0');
    this.#regrowDelayMs = regrow;
    this.#maxSize = size;
    this.#target = size;
    this.#queue = new PQueue({ concurrency: size });
    // Every running operation listens on this signal (several listeners each), and that is no leak.
    setMaxListeners(0, this.#cancel.signal);
  }

  /** Retries the pool's methods make after a transient failure. */
  get retries(): number {
    return this.#policy.retries;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Connections open, busy, and operations queued, right now. */
  stats(): PoolStats {
    let busy = 0;
    let open = 0;
    for (const c of this.#conns) {
      if (c.busy) busy++;
      // A connection found dead (e.g. by keepalive) no longer counts; it is dropped at the next acquire.
      if (!c.client.closed) open++;
    }
    return { size: this.#target, maxSize: this.#maxSize, open, busy, queued: this.#queue.size };
  }

  /**
   * Runs `fn` on a connection of its own, queued behind earlier operations when all connections
   * are busy. `fn` gets the client and a signal (the caller's, also aborted when the pool is closed
   * with an aborted signal) to pass on to the client's calls. With `retries`, a transient failure
   * (see isTransientError) runs `fn` again on a working connection; only ask for that when `fn`
   * can safely be repeated.
   */
  run<T>(
    fn: (client: FtpsClient, signal: AbortSignal) => Promise<T>,
    { signal, retries = 0, timeout }: PoolRunOptions = {},
  ): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new ClientClosedError('Pool is closed'));
    // Rejected, not thrown: every pool operation reports through its promise, as the client's do.
    if (!Number.isInteger(retries) || retries < 0)
      return Promise.reject(new RangeError('Option "retries" must be an integer >= 0'));
    let timeoutMs: number | undefined;
    try {
      timeoutMs = checkCallTimeout(timeout);
    } catch (err) {
      return Promise.reject(err);
    }
    // A pool call's `timeout` bounds the operation with all its retries, from when it starts running.
    const deadline = timeoutMs !== undefined && timeoutMs < MAX_TIMER_MS ? new Deadline(timeoutMs) : undefined;
    const signals = [
      this.#cancel.signal,
      ...(signal === undefined ? [] : [signal]),
      ...(deadline === undefined ? [] : [deadline.signal]),
    ];
    const combined = signals.length === 1 ? this.#cancel.signal : AbortSignal.any(signals);
    this.#maybeGrow();
    const task = this.#queue.add(async () => {
      deadline?.start();
      try {
        return await this.#attempt(fn, combined, retries);
      } finally {
        deadline?.clear();
      }
    });
    // A rejected task must never count as unhandled; the caller gets the rejection below.
    task.catch(() => undefined);
    return task;
  }

  async #attempt<T>(
    fn: (client: FtpsClient, signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
    retries: number,
  ): Promise<T> {
    // Calls that never started (their connection died while idle, e.g. a failed keepalive NOOP or
    // a server's idle timeout) sent nothing: they run again at once, whatever `retries` says, on
    // another connection (at most once per pool slot, so a dead server still ends it).
    let unstarted = 0;
    for (let attempt = 0; ;) {
      signal.throwIfAborted();
      let conn: Pooled | undefined;
      let pause = true;
      let delayMs = 0;
      try {
        conn = await this.#acquire(signal);
        return await fn(conn.client, signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (neverStarted(err) && unstarted++ < this.#maxSize) {
          pause = false;
        } else {
          attempt++;
          if (!this.#policy.shouldRetry(err, attempt, retries)) throw err;
          delayMs = this.#policy.delayMs(attempt);
          diagnostics.retry({ attempt, retries, error: err, delayMs });
        }
        if (conn !== undefined && !conn.client.closed && err instanceof ClientClosedError) void conn.client.close();
      } finally {
        if (conn !== undefined) this.#release(conn);
      }
      if (pause) await sleep(delayMs, signal);
    }
  }

  /** An idle working connection, a new one if the pool may grow, else waits for one to be released. */
  async #acquire(signal: AbortSignal): Promise<Pooled> {
    for (;;) {
      signal.throwIfAborted();
      if (this.#cancel.signal.aborted) throw new ClientClosedError('Pool is closed');
      for (const c of this.#conns) {
        if (c.client.closed) {
          if (!c.busy) this.#conns.delete(c);
          continue;
        }
        if (!c.busy) {
          c.busy = true;
          return c;
        }
      }
      if (this.#conns.size + this.#opening < this.#target) {
        this.#opening++;
        let client: FtpsClient;
        try {
          // The pool replaces lost connections itself: its clients never reconnect on their own.
          client = await FtpsClient.connect(this.#options, { reconnect: false }, { signal });
        } catch (err) {
          this.#opening--;
          this.#wake();
          const others = this.#conns.size + this.#opening;
          if (err instanceof ConnectionError) this.#connectFailures++;
          if (isTooManyConnections(err)) {
            // The server allows no more connections from us: work with those we have (with none
            // yet, the refusal reaches the caller, as a transient error).
            this.#shrink(others);
            if (others > 0) continue;
          } else if (err instanceof ConnectionError && others > 0 && !signal.aborted) {
            // Some servers just drop a connection over their limit (close/reset before or instead
            // of a greeting); so can a network blip. Twice in a row while others work: a limit.
            // Once: try again after a pause, without shrinking.
            if (this.#connectFailures >= 2) this.#shrink(others);
            else await sleep(this.#policy.minDelayMs, signal);
            continue;
          }
          throw err;
        }
        this.#opening--;
        this.#connectFailures = 0;
        const conn: Pooled = { client, busy: true };
        this.#conns.add(conn);
        if (this.#cancel.signal.aborted || this.#closing !== undefined) {
          // Opened while the pool was being closed: keep it tracked so close() shuts it.
          this.#wake();
        }
        return conn;
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#waiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** After a refusal: fewer connections from now on (at least 1), and the regrow clock restarts. */
  #shrink(to: number): void {
    this.#limitSeenAt = performance.now();
    this.#connectFailures = 0;
    const next = Math.max(1, Math.min(this.#target, to));
    if (next === this.#target) return;
    diagnostics.poolResize(this.#target, next, this.#maxSize);
    this.#target = next;
    this.#queue.concurrency = next;
  }

  /** `regrowDelayMs` after the last refusal (or the last regrow), allow one more connection. */
  #maybeGrow(): void {
    if (this.#target >= this.#maxSize || performance.now() - this.#limitSeenAt < this.#regrowDelayMs) return;
    this.#limitSeenAt = performance.now();
    diagnostics.poolResize(this.#target, this.#target + 1, this.#maxSize);
    this.#target++;
    this.#queue.concurrency = this.#target;
  }

  #release(conn: Pooled): void {
    conn.busy = false;
    if (conn.client.closed) this.#conns.delete(conn);
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  // ---- the client's operations, each on a pooled connection ----

  #op<T>(
    options: (OperationOptions & { retries?: number }) | undefined,
    fn: (client: FtpsClient, signal: AbortSignal) => Promise<T>,
    retry = true,
  ): Promise<T> {
    const { signal, retries, timeout } = options ?? {};
    const runOptions: PoolRunOptions = { retries: retry ? (retries ?? this.#policy.retries) : 0 };
    if (signal !== undefined) runOptions.signal = signal;
    if (timeout !== undefined) runOptions.timeout = timeout;
    return this.run(fn, runOptions);
  }

  /**
   * Sends a raw command on some connection (which one is not defined: do not use it for
   * commands that change the session's state, such as CWD). Never retried.
   */
  send(line: string, options?: OperationOptions): Promise<FtpReply> {
    return this.#op(options, (c, signal) => c.send(line, { signal }), false);
  }

  /** Lists a folder on some connection, as {@link FtpsClient.list}. Retried. */
  async list(path?: string, options?: PoolRunOptions): Promise<FileInfo[]> {
    checkPath(path, 'path', { optional: true });
    return this.#op(options, (c, signal) => c.list(path, { signal }));
  }

  /** Facts about a file or folder, as {@link FtpsClient.stat}. Retried. */
  async stat(path: string, options?: PoolRunOptions): Promise<FileInfo> {
    checkPath(path, 'path');
    return this.#op(options, (c, signal) => c.stat(path, { signal }));
  }

  /** Whether a file or folder exists, as {@link FtpsClient.exists}. Retried. */
  async exists(path: string, options?: PoolRunOptions): Promise<boolean> {
    checkPath(path, 'path');
    return this.#op(options, (c, signal) => c.exists(path, { signal }));
  }

  /** Size in bytes, as {@link FtpsClient.size}. Retried. */
  async size(path: string, options?: PoolRunOptions): Promise<number> {
    checkPath(path, 'path');
    return this.#op(options, (c, signal) => c.size(path, { signal }));
  }

  /** Modification time, as {@link FtpsClient.lastModified}. Retried. */
  async lastModified(path: string, options?: PoolRunOptions): Promise<Date> {
    checkPath(path, 'path');
    return this.#op(options, (c, signal) => c.lastModified(path, { signal }));
  }

  /** Sets a modification time, as {@link FtpsClient.setLastModified}. Retried. */
  async setLastModified(path: string, date: Date, options?: PoolRunOptions): Promise<void> {
    checkPath(path, 'path');
    return this.#op(options, (c, signal) => c.setLastModified(path, date, { signal }));
  }

  /**
   * Creates one folder, as {@link FtpsClient.mkdir}. Never retried (a retry after a lost reply would fail: it exists).
   */
  async mkdir(path: string, options?: PoolRunOptions): Promise<void> {
    checkPath(path, 'path');
    // Not retried: a retry after a lost reply would fail with "already exists".
    return this.#op(options, (c, signal) => c.mkdir(path, { signal }), false);
  }

  /** Creates a folder and its missing parents, as {@link FtpsClient.ensureDir}. Retried. */
  async ensureDir(path: string, options?: PoolRunOptions): Promise<void> {
    checkPath(path, 'path');
    return this.#op(options, (c, signal) => c.ensureDir(path, { signal }));
  }

  /** Removes an empty folder, as {@link FtpsClient.rmdir}. Never retried. */
  async rmdir(path: string, options?: PoolRunOptions): Promise<void> {
    checkPath(path, 'path');
    return this.#op(options, (c, signal) => c.rmdir(path, { signal }), false);
  }

  /** Removes a folder (with `recursive`, its content first), as {@link FtpsClient.removeDir}. Never retried. */
  async removeDir(path: string, options?: PoolRunOptions & { recursive?: boolean }): Promise<void> {
    checkPath(path, 'path');
    const recursive = options?.recursive ?? false;
    return this.#op(options, (c, signal) => c.removeDir(path, { signal, recursive }), false);
  }

  /** Deletes a file, as {@link FtpsClient.remove}. Never retried. */
  async remove(path: string, options?: PoolRunOptions): Promise<void> {
    checkPath(path, 'path');
    return this.#op(options, (c, signal) => c.remove(path, { signal }), false);
  }

  /** Renames or moves, as {@link FtpsClient.rename}. Never retried. */
  async rename(from: string, to: string, options?: PoolRunOptions): Promise<void> {
    checkPath(from, 'from');
    checkPath(to, 'to');
    return this.#op(options, (c, signal) => c.rename(from, to, { signal }), false);
  }

  /**
   * Uploads on a pooled connection; `options` are the client's upload options. Retried after a
   * transient failure when the source can be read again (a path or bytes, not a stream).
   */
  async upload(
    source: UploadSource,
    remotePath: string,
    options?: Parameters<FtpsClient['upload']>[2] & { retries?: number },
  ): Promise<TransferResult> {
    checkPath(remotePath, 'remotePath');
    const repeatable = typeof source === 'string' || source instanceof Uint8Array;
    return this.#op(options, (c, signal) => c.upload(source, remotePath, { ...options, signal }), repeatable);
  }

  /**
   * Downloads on a pooled connection; `options` are the client's download options. Retried after
   * a transient failure when the destination is a local path (a stream may hold partial data).
   * With `segments: N` (a local path only) the file is fetched as N byte ranges at once, each on a
   * connection of its own, each range retried on its own (docs/pool-and-trees.md).
   */
  async download(
    remotePath: string,
    destination: DownloadDestination,
    options?: Parameters<FtpsClient['download']>[2] & { retries?: number; segments?: number },
  ): Promise<TransferResult> {
    checkPath(remotePath, 'remotePath');
    if (checkSegments(options?.segments) > 1) {
      if (typeof destination !== 'string')
        throw new TypeError('The "segments" option needs a local file path as the download destination');
      return segmentedDownload(new PoolSegmentRunner(this), remotePath, destination, options ?? {});
    }
    const { segments: _segments, ...rest } = options ?? {};
    return this.#op(
      rest,
      (c, signal) => c.download(remotePath, destination, { ...rest, signal }),
      typeof destination === 'string',
    );
  }

  // ---- folder trees ----

  /**
   * Uploads the local folder tree `localDir` into `remoteDir` (created as needed), files in parallel. See
   * docs/pool-and-trees.md.
   */
  uploadDir(localDir: string, remoteDir: string, options?: TreeOptions): Promise<TreeResult> {
    checkPath(remoteDir, 'remoteDir');
    return uploadDir(this, localDir, remoteDir, options);
  }

  /** Downloads the remote folder tree `remoteDir` into `localDir` (created as needed), files in parallel. */
  downloadDir(remoteDir: string, localDir: string, options?: TreeOptions): Promise<TreeResult> {
    checkPath(remoteDir, 'remoteDir');
    return downloadDir(this, remoteDir, localDir, options);
  }

  /**
   * One-way sync: makes the destination side look like the source side, copying only files whose
   * size or modification time differ (and deleting extraneous entries with `delete: true`).
   */
  mirror(options: MirrorOptions): Promise<TreeResult> {
    checkPath(options?.remote, 'options.remote');
    return mirror(this, options);
  }

  // ---- closing ----

  /**
   * Closes the pool: new operations reject at once with ClientClosedError; operations running or
   * queued finish first, then every connection is closed (QUIT). With a `signal`, aborting it
   * cancels what is still running or queued (those reject with ClientClosedError) and closes at once.
   * Idempotent.
   */
  close({ signal }: PoolCloseOptions = {}): Promise<void> {
    if (signal !== undefined) {
      const cancel = (): void => this.#cancel.abort(new ClientClosedError('Pool closed: operation cancelled'));
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel, { once: true });
      this.#closing?.finally(() => signal.removeEventListener('abort', cancel)).catch(() => undefined);
    }
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    await this.#queue.onIdle();
    // Connections still opening were started by operations that are over now; wait for nothing else.
    const conns = [...this.#conns];
    this.#conns.clear();
    await Promise.all(conns.map((c) => c.client.close().catch(() => undefined)));
  }

  /** `await using pool = createPool(…)` closes it (as `close()`) at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The pool as a segmented download sees it: sessions of pooled connections, and the one-stream download. */
class PoolSegmentRunner implements SegmentRunner {
  readonly #pool: FtpsPool;

  constructor(pool: FtpsPool) {
    this.#pool = pool;
  }

  get retries(): number {
    return this.#pool.retries;
  }

  onSession<T>(
    op: SessionOperation<T>,
    {
      signal,
      retries,
      controlOnly = false,
    }: { signal: AbortSignal | undefined; retries: number; controlOnly?: boolean },
  ): Promise<T> {
    // The signal goes to the operation only, not to the client call: an aborted range then
    // settles once its transfer has stopped and the connection is in step (the client would reject
    // at once and finish stopping in the background), so the download rejects after its ranges stopped.
    // A control-only step (SIZE, HASH) cannot be stopped that way: the client call rejects at once.
    const run = (client: FtpsClient, sig: AbortSignal): Promise<T> =>
      runOnSession(client, controlOnly ? { signal: sig } : {}, (session, deadline) =>
        op(session, deadline === undefined ? sig : AbortSignal.any([sig, deadline])),
      );
    return this.#pool.run(run, signal === undefined ? { retries } : { signal, retries });
  }

  get size(): number {
    return this.#pool.stats().size;
  }

  warmUp(count: number, signal: AbortSignal | undefined): void {
    for (let i = 0; i < count; i++) {
      // An operation that does nothing: the pool opens a connection for it when none is idle.
      void this.#pool.run(async () => undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
    }
  }

  downloadWhole(remotePath: string, localPath: string, options: SegmentedDownloadOptions): Promise<TransferResult> {
    const { segments: _segments, ...rest } = options;
    return this.#pool.download(remotePath, localPath, rest);
  }
}
