// Segmented download of one large file (`pool.download(remote, local, { segments: N })`): SIZE
// splits the file into N byte ranges; each range is fetched with REST + RETR on a pooled connection
// of its own, stopped by the session exactly at the range's end (the last one runs to the end of the file, so
// a longer file is noticed), and written with positional writes
// into one temporary sibling of the target (segment-file.ts), renamed into place only once every
// range is complete (and the whole file verified). With `resume`, progress per range is kept in a
// state file beside it (segment-state.ts), so a rerun fetches only what is missing.
//
// One stream instead (today's download, the same options): a size the server will not tell, a file
// smaller than two MIN_SEGMENT_BYTES, a target that is not a regular file, or a server refusing REST.
import { TruncatedTransferError, VerifyError } from '../errors.js';
import { Deadline } from '../deadline.js';
import { checkCallTimeout, MAX_TIMER_MS } from '../options.js';
import type { FtpReply } from '../protocol/reply.js';
import type { TransferOutcome } from '../session/data.js';
import { downloadRange } from '../session/files.js';
import { fileSizeIfKnown, stat } from '../session/metadata.js';
import type { Session } from '../session/session.js';
import { isRestRefusal, transferResult, type DownloadOptions, type TransferResult } from './file-transfer.js';
import { ProgressTracker } from './progress.js';
import { limiterFor, ThrottledSink, type RateLimiter } from './rate-limit.js';
import { readLocalPrefix } from './resume.js';
import { SegmentFile, SegmentRange } from './segment-file.js';
import { loadSegmentState, SegmentCheckpoint, type RemoteIdentity } from './segment-state.js';
import { checkVerify, NOT_VERIFIED, planVerify, type VerifyReport } from './verify.js';

/** The smallest range worth a connection of its own: a file under twice this size is one stream. */
export const MIN_SEGMENT_BYTES = 1024 * 1024;
/** The most ranges one download may ask for. */
export const MAX_SEGMENTS = 64;

/** Download options of the pool: those of `download()` plus `segments`. */
export interface SegmentedDownloadOptions extends DownloadOptions {
  /**
   * Fetch the file as this many byte ranges at once, each on a pooled connection of its own
   * (a local path destination only; integer 1..64, default 1 = one stream). Files under
   * 2 MiB, servers refusing REST and targets that are not regular files get one stream.
   * See docs/pool-and-trees.md.
   */
  segments?: number;
  /** Overall deadline of the whole download in ms (all ranges and retries); see OperationOptions. */
  timeout?: number;
  /** Retries of each range (and of the whole download when it falls back to one stream). */
  retries?: number;
}

/** What a segmented download needs from the pool; FtpsPool provides it (transfer/ never imports the pool). */
export interface SegmentRunner {
  /** Default retries per operation. */
  readonly retries: number;
  /**
   * Runs `op` on the session of a pooled connection of its own, retrying transient failures `retries`
   * times. An abort stops `op` through its signal and the call settles once `op` has; with
   * `controlOnly` (no transfer to stop: SIZE, HASH) the call rejects at the abort, and the connection
   * gets back in step in the background (the reply may be a reply timeout away).
   */
  onSession<T>(
    op: (session: Session, signal: AbortSignal | undefined) => Promise<T>,
    options: { signal: AbortSignal | undefined; retries: number; controlOnly?: boolean },
  ): Promise<T>;
  /** Most operations the pool runs at once now. */
  readonly size: number;
  /**
   * Has `count` more connections opened now (in parallel, errors ignored), so that the ranges find
   * them ready once the plan is made instead of connecting one after the other.
   */
  warmUp(count: number, signal: AbortSignal | undefined): void;
  /** Today's one-stream download (the fallback), with the caller's options. */
  downloadWhole(remotePath: string, localPath: string, options: SegmentedDownloadOptions): Promise<TransferResult>;
}

/** Validates `segments`: undefined or an integer 1..MAX_SEGMENTS. */
export function checkSegments(segments: unknown): number {
  if (segments === undefined) return 1;
  if (typeof segments !== 'number' || !Number.isInteger(segments) || segments < 1 || segments > MAX_SEGMENTS) {
    throw new RangeError(`Option "segments" must be an integer from 1 to ${MAX_SEGMENTS}, got ${String(segments)}`);
  }
  return segments;
}

/**
 * Splits [0, size) into at most `wanted` ranges of at least MIN_SEGMENT_BYTES each, sizes differing
 * by at most one byte. One range means "not worth splitting".
 */
export function planSegments(size: number, wanted: number): SegmentRange[] {
  const n = Math.max(1, Math.min(wanted, Math.floor(size / MIN_SEGMENT_BYTES)));
  const base = Math.floor(size / n);
  const extra = size % n;
  const ranges: SegmentRange[] = [];
  for (let i = 0, start = 0; i < n; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    ranges.push(new SegmentRange(start, end));
    start = end;
  }
  return ranges;
}

/**
 * One range over one session: REST <position> + RETR, stopped by the session after exactly the
 * bytes the range still misses (TransferExtras.length), written at the range's offsets.
 */
async function fetchRange(
  session: Session,
  remotePath: string,
  range: SegmentRange,
  file: SegmentFile,
  hooks: RangeHooks,
  signal: AbortSignal | undefined,
): Promise<TransferOutcome> {
  // The range at the file's end runs to the server's end of the transfer: a byte beyond SIZE means
  // SIZE lied, the file grew, or the server ignored REST and sent from 0 (the other ranges then hold
  // wrong bytes). Stopping it at its length would hide all three.
  const tail = range.end === hooks.size;
  const overflow = tail
    ? (sent: number) => new VerifyError(remotePath, 'size', `more than ${sent - 1}`, hooks.size)
    : undefined;
  const sink = file.sink(range, hooks.onWritten, overflow);
  const target = hooks.limiter === undefined ? sink : new ThrottledSink(sink, hooks.limiter);
  // Every range tells the session its length, so that a short one is TruncatedTransferError however
  // the server's reply and the data's end interleave (the session's range verdict); the tail runs on.
  const outcome = await downloadRange(session, remotePath, target, {
    offset: range.position,
    length: range.remaining,
    toEnd: tail,
    signal,
  });
  // downloadRange guarantees the length; this is the guard of the positional writer's own count.
  if (!range.complete) throw new TruncatedTransferError(rangeShortfall(remotePath, range));
  return outcome;
}

function rangeShortfall(remotePath: string, range: SegmentRange): string {
  return `The range ${range.start}-${range.end - 1} of ${remotePath} ended after ${range.done} of ${range.end - range.start} bytes`;
}

interface RangeHooks {
  /** The remote size the ranges tile. */
  size: number;
  onWritten: (chunk: Buffer) => void;
  limiter: RateLimiter | undefined;
}

/** Size (and, when resumable, the modification time that tells a changed file apart). */
async function remoteIdentity(session: Session, path: string, resumable: boolean): Promise<RemoteIdentity | undefined> {
  if (!resumable) {
    const size = await fileSizeIfKnown(session, path);
    return size === undefined ? undefined : { path, size, modified: undefined };
  }
  const info = await stat(session, path).catch(() => undefined);
  if (info === undefined || info.type !== 'file') {
    const size = await fileSizeIfKnown(session, path);
    return size === undefined ? undefined : { path, size, modified: undefined };
  }
  return info.size === undefined ? undefined : { path, size: info.size, modified: info.modifiedAt?.getTime() };
}

/** The whole file's check: SIZE and a server hash against the hash of the local temporary file. */
async function verifyWhole(
  session: Session,
  remotePath: string,
  size: number,
  localPath: string,
  options: NonNullable<DownloadOptions['verify']>,
): Promise<VerifyReport> {
  if (options === false) return NOT_VERIFIED;
  const plan = await planVerify(session, options);
  if (plan.hasher !== undefined) await readLocalPrefix(localPath, size, plan.hasher.update);
  return checkVerify(session, remotePath, size, plan);
}

/** Runs `pool.download(remote, local, { segments })`; see the file comment and docs/pool-and-trees.md. */
export async function segmentedDownload(
  runner: SegmentRunner,
  remotePath: string,
  localPath: string,
  options: SegmentedDownloadOptions,
): Promise<TransferResult> {
  const wanted = checkSegments(options.segments);
  if (typeof localPath !== 'string')
    throw new TypeError('The "segments" option needs a local file path as the download destination');
  const timeoutMs = checkCallTimeout(options.timeout);
  if (wanted === 1) return runner.downloadWhole(remotePath, localPath, options);
  const deadline = timeoutMs !== undefined && timeoutMs < MAX_TIMER_MS ? new Deadline(timeoutMs) : undefined;
  const signals = [options.signal, deadline?.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  deadline?.start();
  try {
    return await new SegmentedDownload(runner, remotePath, localPath, wanted, options, signal).run();
  } finally {
    deadline?.clear();
  }
}

/** The state of one segmented download. */
class SegmentedDownload {
  readonly #started = performance.now();
  readonly #retries: number;
  readonly #resumable: boolean;
  /** Stops the other ranges once one has failed (and carries the caller's abort). */
  readonly #stop = new AbortController();
  #firstError: unknown;
  #progress: ProgressTracker | undefined;
  #ranges: readonly SegmentRange[] = [];

  constructor(
    readonly runner: SegmentRunner,
    readonly remotePath: string,
    readonly localPath: string,
    readonly wanted: number,
    readonly options: SegmentedDownloadOptions,
    /** The caller's signal combined with the deadline of `timeout`. */
    readonly signal: AbortSignal | undefined,
  ) {
    this.#retries = options.retries ?? runner.retries;
    this.#resumable = options.resume === true;
  }

  /** The one-stream download, within what is left of this call's deadline. */
  #whole(): Promise<TransferResult> {
    const { segments: _segments, timeout: _timeout, signal: _signal, ...rest } = this.options;
    return this.runner.downloadWhole(
      this.remotePath,
      this.localPath,
      this.signal === undefined ? rest : { ...rest, signal: this.signal },
    );
  }

  async run(): Promise<TransferResult> {
    const { signal } = this;
    signal?.throwIfAborted();
    // The connections the ranges will use open while SIZE is asked on the first one.
    this.runner.warmUp(Math.min(this.wanted, this.runner.size) - 1, signal);
    const remote = await this.runner.onSession((s) => remoteIdentity(s, this.remotePath, this.#resumable), {
      signal,
      retries: this.#retries,
      controlOnly: true,
    });
    if (remote === undefined) return this.#whole();
    const plan = planSegments(remote.size, this.wanted);
    if (plan.length < 2) return this.#whole();
    const file = await SegmentFile.open(this.localPath, this.#resumable);
    if (file === undefined) return this.#whole();
    let keep = this.#resumable;
    let checkpoint: SegmentCheckpoint | undefined;
    try {
      const saved = await loadSegmentState(file, remote);
      const ranges = saved ?? plan;
      if (saved === undefined) await file.truncate(0); // stale or foreign bytes: start over
      await file.truncate(remote.size);
      if (file.statePath !== undefined) {
        checkpoint = new SegmentCheckpoint(file, file.statePath, remote, ranges);
        await checkpoint.save();
        checkpoint.start();
      }
      this.#ranges = ranges;
      const resumedFrom = ranges.reduce((n, r) => n + r.done, 0);
      const outcomes = await this.#fetchAll(remote, ranges, file, resumedFrom, checkpoint);
      if (outcomes === 'fallback') {
        keep = false;
        await checkpoint?.stop();
        await file.discard();
        return await this.#whole();
      }
      await checkpoint?.stop();
      await checkpoint?.save();
      signal?.throwIfAborted();
      const verified = await this.#verify(remote.size, file, () => (keep = false));
      signal?.throwIfAborted();
      await file.commit();
      this.#progress?.finish();
      return this.#result(outcomes, remote.size, resumedFrom, verified);
    } catch (err) {
      await checkpoint?.stop();
      // Wrong bytes (the file is not what SIZE said, or REST was ignored) must not be resumed from.
      if (err instanceof VerifyError) keep = false;
      if (keep) {
        await checkpoint?.save().catch(() => undefined);
        await file.keep();
      } else await file.discard();
      throw err;
    }
  }

  /** Every missing range at once, each on a connection of its own; 'fallback' when the server refused REST. */
  async #fetchAll(
    remote: RemoteIdentity,
    ranges: SegmentRange[],
    file: SegmentFile,
    resumedFrom: number,
    checkpoint: SegmentCheckpoint | undefined,
  ): Promise<(TransferOutcome & { range: SegmentRange })[] | 'fallback'> {
    const { signal } = this;
    const { onProgress } = this.options;
    const progress =
      onProgress === undefined
        ? undefined
        : new ProgressTracker(onProgress, {
            name: this.remotePath,
            direction: 'download',
            offset: resumedFrom,
            total: remote.size,
          });
    this.#progress = progress;
    const hooks: RangeHooks = {
      size: remote.size,
      onWritten: progress?.onChunk ?? (() => undefined),
      limiter: limiterFor(this.options.rateLimit),
    };
    const stop = signal === undefined ? this.#stop.signal : AbortSignal.any([signal, this.#stop.signal]);
    const jobs = ranges
      .filter((r) => !r.complete)
      .map(async (range) => {
        try {
          const outcome = await this.#fetchRetrying(range, file, hooks, stop);
          await checkpoint?.save();
          return { ...outcome, range };
        } catch (err) {
          if (!stop.aborted) {
            this.#firstError = err;
            this.#stop.abort(new Error('Another range of the segmented download failed'));
          }
          throw err;
        }
      });
    const settled = await Promise.allSettled(jobs);
    signal?.throwIfAborted();
    if (this.#firstError !== undefined) {
      if (isRestRefusal(this.#firstError)) return 'fallback';
      throw this.#firstError;
    }
    return settled.map((s) => (s as PromiseFulfilledResult<TransferOutcome & { range: SegmentRange }>).value);
  }

  /**
   * One range, retried by the pool after transient failures; also after it was cut short
   * (TruncatedTransferError), with or without bytes moved (the server may fail it before its first
   * byte as well as after): what arrived is kept (authenticated by TLS up to the cut), and the next
   * attempt continues from there, within the same number of retries.
   */
  async #fetchRetrying(
    range: SegmentRange,
    file: SegmentFile,
    hooks: RangeHooks,
    stop: AbortSignal,
  ): Promise<TransferOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.runner.onSession((s, sig) => fetchRange(s, this.remotePath, range, file, hooks, sig), {
          signal: stop,
          retries: this.#retries,
        });
      } catch (err) {
        if (!(err instanceof TruncatedTransferError) || attempt >= this.#retries || stop.aborted) throw err;
      }
    }
  }

  /** `verify` over the whole file; a mismatch discards the temporary file even when resumable (its bytes are bad). */
  async #verify(size: number, file: SegmentFile, discard: () => void): Promise<VerifyReport> {
    const { verify } = this.options;
    if (verify === undefined || verify === false) return NOT_VERIFIED;
    try {
      return await this.runner.onSession((s) => verifyWhole(s, this.remotePath, size, file.tempPath, verify), {
        signal: this.signal,
        retries: this.#retries,
        controlOnly: true,
      });
    } catch (err) {
      if (err instanceof VerifyError) discard();
      throw err;
    }
  }

  #result(
    outcomes: (TransferOutcome & { range: SegmentRange })[],
    size: number,
    resumedFrom: number,
    verified: VerifyReport,
  ): TransferResult {
    // Counted at the file, not the sockets: what this run wrote, over every attempt of every range.
    const bytes = this.#ranges.reduce((n, r) => n + r.done, 0) - resumedFrom;
    const reused = outcomes.map((o) => o.tlsSessionReused);
    const tlsSessionReused = reused.includes(false) ? false : reused.includes(true) ? true : undefined;
    // The range at the end of the file ended with the server's own end of the transfer.
    const last = outcomes.find((o) => o.range.end === size) ?? outcomes.at(-1);
    const reply: FtpReply = last?.reply ?? { code: 213, text: String(size), lines: [`213 ${size}`] };
    const result = transferResult({ bytes, tlsSessionReused, reply }, this.#started, resumedFrom, verified);
    return { ...result, segments: outcomes.length };
  }
}
