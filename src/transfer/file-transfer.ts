// upload()/download() with options: resume, verify, progress, atomic. Runs inside one queued task
// of the client (one command in flight): SIZE/OPTS HASH before, REST + the transfer, SIZE/HASH and
// RNFR/RNTO after. Without options the client calls runTransfer directly and none of this runs.
import { stat } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { FtpReplyError, VerifyError } from '../errors.js';
import { formatCommand } from '../protocol/command.js';
import type { FtpReply } from '../protocol/reply.js';
import { runTransfer, type DataIo, type TransferOutcome } from '../session/data.js';
import { fileSizeIfKnown } from '../session/metadata.js';
import type { Session } from '../session/session.js';
import { removeQuietly, renameIntoPlace, temporaryName } from './atomic.js';
import {
  openDestination,
  openLocalRead,
  openLocalWrite,
  openSource,
  type DeferredCommit,
  type DownloadDestination,
  type UploadSource,
} from './endpoints.js';
import { ProgressTracker, type ProgressListener } from './progress.js';
import { limiterFor, ThrottledSink, throttledSource, type RateLimiter } from './rate-limit.js';
import { planDownloadResume, planUploadResume, readLocalPrefix } from './resume.js';
import {
  checkVerify,
  NOT_VERIFIED,
  planVerify,
  StreamHasher,
  type VerifyOptions,
  type VerifyPlan,
  type VerifyReport,
} from './verify.js';

/** Options shared by `upload()` and `download()` (and the pool's and tree methods' per-file transfers). */
export interface FileTransferOptions {
  /** Aborting rejects the call with `signal.reason`. */
  signal?: AbortSignal;
  /** Called at most every 100 ms while data moves, and once more when the transfer is complete. */
  onProgress?: ProgressListener;
  /**
   * Continue an interrupted transfer. Download: keep the local file and fetch the rest (REST + RETR).
   * Upload: keep the remote part (SIZE) and send the rest (REST + STOR, or APPE).
   */
  resume?: boolean;
  /** After the transfer compare SIZE and, when the server offers one, a hash. `'size'`: sizes only. */
  verify?: boolean | 'size' | VerifyOptions;
  /**
   * Bandwidth limit in bytes per second, applied as backpressure (the source is read, or the data
   * socket drained, only as fast as allowed). A number limits this transfer; a RateLimiter instance
   * is shared by every transfer given it (a pool's calls, a tree run's files).
   */
  rateLimit?: number | RateLimiter;
}

/** Options of {@link FtpsClient.upload} (besides {@link OperationOptions}). See docs/transfers.md. */
export interface UploadOptions extends FileTransferOptions {
  /** Upload to a temporary name beside the target and rename it over the target on success. */
  atomic?: boolean;
}

/** Options of {@link FtpsClient.download} (besides {@link OperationOptions}). See docs/transfers.md. */
export type DownloadOptions = FileTransferOptions;

/** What a transfer did; every transfer method resolves with one. */
export interface TransferResult {
  /** Payload bytes moved. */
  bytes: number;
  /** Wall time of the call, from when it started running (not while queued). */
  durationMs: number;
  /** Offset the transfer started at (REST, or bytes already there when resuming); 0 for a whole file. */
  resumedFrom: number;
  /** Which checks ran: `{ size: 'skipped' }` unless the `verify` option asked for them. See docs/transfers.md. */
  verified: VerifyReport;
  /** Whether the data connection resumed the control connection's TLS session (undefined on plain FTP). */
  tlsSessionReused: boolean | undefined;
  /** The server's final reply, e.g. `{ code: 226, text: 'Transfer complete.' }`. */
  reply: {
    /** Reply code, e.g. 226. */
    code: number;
    /** Reply text (lines joined with \n). */
    text: string;
  };
  /** Ranges a segmented download (`pool.download` with `segments`) fetched in this call; absent for one stream. */
  segments?: number;
}

/** True when any option beyond `signal` is set (the client then takes this path). */
export function hasTransferExtras(options: FileTransferOptions & { atomic?: boolean }): boolean {
  return (
    options.onProgress !== undefined ||
    options.resume === true ||
    (options.verify !== undefined && options.verify !== false) ||
    options.atomic === true ||
    options.rateLimit !== undefined
  );
}

function combine(...fns: ((chunk: Buffer) => void)[]): ((chunk: Buffer) => void) | undefined {
  if (fns.length === 0) return undefined;
  if (fns.length === 1) return fns[0];
  return (chunk) => {
    for (const fn of fns) fn(chunk);
  };
}

function chunkHooks(
  plan: VerifyPlan | undefined,
  progress: ProgressTracker | undefined,
): ((chunk: Buffer) => void) | undefined {
  const fns: ((chunk: Buffer) => void)[] = [];
  if (plan?.hasher !== undefined) fns.push(plan.hasher.update);
  if (progress !== undefined) fns.push(progress.onChunk);
  return combine(...fns);
}

/** A 5xx answer to REST: the server cannot restart a transfer at an offset. */
export function isRestRefusal(err: unknown): boolean {
  return err instanceof FtpReplyError && err.command?.startsWith('REST ') === true && err.replyCode >= 500;
}

export function transferResult(
  outcome: Pick<TransferOutcome, 'bytes' | 'tlsSessionReused'> & { reply: FtpReply },
  started: number,
  resumedFrom = 0,
  verified: VerifyReport = NOT_VERIFIED,
): TransferResult {
  return {
    bytes: outcome.bytes,
    durationMs: performance.now() - started,
    resumedFrom,
    verified,
    tlsSessionReused: outcome.tlsSessionReused,
    reply: { code: outcome.reply.code, text: outcome.reply.text },
  };
}

type LocalSource =
  | { kind: 'path'; path: string; size: number }
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'stream'; stream: Readable };

async function describeSource(source: UploadSource): Promise<LocalSource> {
  if (typeof source === 'string') return { kind: 'path', path: source, size: (await stat(source)).size };
  if (source instanceof Uint8Array)
    return { kind: 'bytes', bytes: Buffer.from(source.buffer, source.byteOffset, source.byteLength) };
  if (source instanceof Readable) return { kind: 'stream', stream: source };
  return { kind: 'stream', stream: await openSource(source) }; // rejects with the TypeError for anything else
}

function sizeOf(local: LocalSource): number | undefined {
  return local.kind === 'path' ? local.size : local.kind === 'bytes' ? local.bytes.length : undefined;
}

async function openFrom(local: LocalSource, offset: number): Promise<Readable> {
  if (local.kind === 'path') return openLocalRead(local.path, offset);
  if (local.kind === 'bytes') return Readable.from([local.bytes.subarray(offset)], { objectMode: false });
  return local.stream;
}

export async function uploadFile(
  session: Session,
  source: UploadSource,
  remotePath: string,
  options: UploadOptions,
): Promise<TransferResult> {
  const started = performance.now();
  const { signal } = options;
  const limiter = limiterFor(options.rateLimit);
  const local = await describeSource(source);
  const total = sizeOf(local);
  if (options.resume === true && total === undefined) {
    throw new TypeError(
      'The "resume" option needs a local file path or a Buffer as the upload source (a stream cannot be rewound)',
    );
  }
  formatCommand('STOR', remotePath); // reject a bad path before sending anything
  const uploadPath = options.atomic === true ? temporaryName(remotePath, options.resume === true) : remotePath;
  // A resumable atomic upload keeps its partial temporary file for the next attempt.
  let removeTemp = options.atomic === true && options.resume !== true;
  try {
    signal?.throwIfAborted();
    const plan =
      options.verify !== undefined && options.verify !== false ? await planVerify(session, options.verify) : undefined;
    let offset = 0;
    let command: 'STOR' | 'APPE' = 'STOR';
    if (options.resume === true && total !== undefined) {
      const resume = await planUploadResume(session, uploadPath, total);
      offset = resume.offset;
      command = resume.command;
    }
    if (plan?.hasher !== undefined && offset > 0) {
      if (local.kind === 'path') await readLocalPrefix(local.path, offset, plan.hasher.update);
      else if (local.kind === 'bytes') plan.hasher.update(local.bytes.subarray(0, offset));
    }
    const progress =
      options.onProgress === undefined
        ? undefined
        : new ProgressTracker(options.onProgress, { name: remotePath, direction: 'upload', offset, total });

    let outcome: Pick<TransferOutcome, 'bytes' | 'tlsSessionReused'> & { reply: FtpReply };
    if (offset > 0 && offset === total) {
      // Already complete on the server: nothing to send; the SIZE reply stands for the transfer.
      outcome = {
        bytes: 0,
        tlsSessionReused: undefined,
        reply: { code: 213, text: String(offset), lines: [`213 ${offset}`] },
      };
    } else {
      const send = async (cmd: 'STOR' | 'APPE', rest: number): Promise<TransferOutcome> => {
        const opened = await openFrom(local, offset);
        const io: DataIo = {
          direction: 'upload',
          source: limiter === undefined ? opened : throttledSource(opened, limiter),
        };
        const onChunk = chunkHooks(plan, progress);
        // runTransfer destroys the source on any failure, so no file stays open.
        return runTransfer(session, formatCommand(cmd, uploadPath), io, signal, {
          restOffset: rest,
          ...(onChunk === undefined ? {} : { onChunk }),
        });
      };
      try {
        outcome = await send(command, command === 'STOR' ? offset : 0);
      } catch (err) {
        if (!(offset > 0 && command === 'STOR' && isRestRefusal(err))) throw err;
        outcome = await send('APPE', 0); // REST refused for STOR: append instead
      }
    }
    signal?.throwIfAborted();
    const moved = offset + outcome.bytes;
    // Verify the uploaded file (the temporary one when atomic) before it replaces the target.
    const verified =
      plan === undefined
        ? NOT_VERIFIED
        : await verifyOrDiscard(session, uploadPath, moved, plan, () => (removeTemp = options.atomic === true));
    if (options.atomic === true) {
      removeTemp = true;
      signal?.throwIfAborted();
      await renameIntoPlace(session, uploadPath, remotePath);
      removeTemp = false;
    }
    progress?.finish();
    return transferResult(outcome, started, offset, verified);
  } catch (err) {
    if (removeTemp) await removeQuietly(session, uploadPath);
    throw err;
  }
}

/** A VerifyError means the uploaded bytes are bad: flag the temporary file for removal even when resumable. */
async function verifyOrDiscard(
  session: Session,
  path: string,
  size: number,
  plan: VerifyPlan,
  discard: () => void,
): Promise<VerifyReport> {
  try {
    return await checkVerify(session, path, size, plan);
  } catch (err) {
    if (err instanceof VerifyError) discard();
    throw err;
  }
}

export async function downloadFile(
  session: Session,
  remotePath: string,
  destination: DownloadDestination,
  options: DownloadOptions,
): Promise<TransferResult> {
  const started = performance.now();
  const { signal } = options;
  if (options.resume === true && typeof destination !== 'string') {
    throw new TypeError(
      'The "resume" option needs a local file path as the download destination (use createReadStream({ start }) for streams)',
    );
  }
  const line = formatCommand('RETR', remotePath);
  const limiter = limiterFor(options.rateLimit);
  signal?.throwIfAborted();
  const plan =
    options.verify !== undefined && options.verify !== false ? await planVerify(session, options.verify) : undefined;
  let offset = 0;
  let total: number | undefined;
  if (options.resume === true && typeof destination === 'string') {
    const resume = await planDownloadResume(session, remotePath, destination);
    offset = resume.offset;
    total = resume.remoteSize;
  } else if (options.onProgress !== undefined) {
    total = await fileSizeIfKnown(session, remotePath);
  }
  if (plan?.hasher !== undefined && offset > 0 && typeof destination === 'string')
    await readLocalPrefix(destination, offset, plan.hasher.update);

  let outcome: Pick<TransferOutcome, 'bytes' | 'tlsSessionReused'> & { reply: FtpReply };
  let progress: ProgressTracker | undefined;
  // With verify, a new local file goes into place only after the checks passed (see DeferredCommit).
  let pendingCommit: (Writable & Partial<DeferredCommit>) | undefined;
  if (offset > 0 && offset === total) {
    // The local file is already complete.
    outcome = {
      bytes: 0,
      tlsSessionReused: undefined,
      reply: { code: 213, text: String(total), lines: [`213 ${total}`] },
    };
    progress =
      options.onProgress === undefined
        ? undefined
        : new ProgressTracker(options.onProgress, { name: remotePath, direction: 'download', offset, total });
  } else {
    const receive = async (from: number): Promise<TransferOutcome> => {
      progress =
        options.onProgress === undefined
          ? undefined
          : new ProgressTracker(options.onProgress, { name: remotePath, direction: 'download', offset: from, total });
      const target: Writable & Partial<DeferredCommit> =
        from > 0 && typeof destination === 'string'
          ? await openLocalWrite(destination, 'a')
          : await openDestination(destination, options.resume === true ? 'in-place' : 'replace', plan !== undefined);
      pendingCommit = plan === undefined || target.commitVerified === undefined ? undefined : target;
      const sink = limiter === undefined ? target : new ThrottledSink(target, limiter);
      const onChunk = chunkHooks(plan, progress);
      // On failure runTransfer destroys the sink and waits for it to close, so a retry or the
      // caller finds the file complete and closed.
      return runTransfer(session, line, { direction: 'download', sink }, signal, {
        restOffset: from,
        ...(onChunk === undefined ? {} : { onChunk }),
      });
    };
    try {
      outcome = await receive(offset);
    } catch (err) {
      if (!(offset > 0 && isRestRefusal(err))) throw err;
      // The server cannot restart: download it all again, hashing from the start.
      offset = 0;
      if (plan?.hasher !== undefined) plan.hasher = new StreamHasher(plan.hasher.algorithm);
      outcome = await receive(0);
    }
  }
  let verified: VerifyReport;
  try {
    signal?.throwIfAborted();
    verified = plan === undefined ? NOT_VERIFIED : await checkVerify(session, remotePath, offset + outcome.bytes, plan);
    await pendingCommit?.commitVerified?.();
  } catch (err) {
    // The temporary file goes (once closed, so a caller finds none); the final name was never touched.
    if (pendingCommit !== undefined && !pendingCommit.closed) {
      const closed = new Promise((resolve) => pendingCommit?.once('close', resolve));
      pendingCommit.destroy();
      await closed;
    }
    throw err;
  }
  progress?.finish();
  return transferResult(outcome, started, offset, verified);
}

/** Options of {@link FtpsClient.createReadStream}. */
export interface ReadStreamOptions {
  /** Start at this byte of the remote file (REST). A non-negative integer, else RangeError. */
  start?: number;
  /** Aborting destroys the stream with `signal.reason` and aborts the transfer. */
  signal?: AbortSignal;
  /** Called at most every 100 ms while data moves, and once more when the transfer is complete. */
  onProgress?: ProgressListener;
}

/** Options of {@link FtpsClient.createWriteStream}. `append` and `start` exclude each other (TypeError). */
export interface WriteStreamOptions {
  /** Append to the remote file (APPE). */
  append?: boolean;
  /** Overwrite the remote file from this byte on (REST + STOR), keeping the bytes before it. */
  start?: number;
  /** Aborting destroys the stream with `signal.reason` and aborts the upload. */
  signal?: AbortSignal;
  /** Called at most every 100 ms while data moves, and once more when the transfer is complete. */
  onProgress?: ProgressListener;
}

function checkStart(start: number | undefined): number {
  if (start === undefined) return 0;
  if (!Number.isSafeInteger(start) || start < 0)
    throw new RangeError(`The "start" option must be a non-negative integer, got ${String(start)}`);
  return start;
}

/** Validates stream options synchronously (before a stream exists). */
export function checkStreamOptions(options: ReadStreamOptions | WriteStreamOptions): void {
  checkStart(options.start);
  if ('append' in options && options.append === true && options.start !== undefined && options.start > 0) {
    throw new TypeError('The "append" and "start" options cannot be combined');
  }
}

/** The transfer behind createReadStream: RETR (after REST when `start`) into `sink`. */
export async function streamDownload(
  session: Session,
  remotePath: string,
  sink: Writable,
  signal: AbortSignal,
  options: ReadStreamOptions,
): Promise<TransferResult> {
  const started = performance.now();
  const start = checkStart(options.start);
  const line = formatCommand('RETR', remotePath);
  let progress: ProgressTracker | undefined;
  if (options.onProgress !== undefined) {
    const total = await fileSizeIfKnown(session, remotePath);
    progress = new ProgressTracker(options.onProgress, {
      name: remotePath,
      direction: 'download',
      offset: start,
      total,
    });
  }
  const outcome = await runTransfer(session, line, { direction: 'download', sink }, signal, {
    restOffset: start,
    ...(progress === undefined ? {} : { onChunk: progress.onChunk }),
  });
  progress?.finish();
  return transferResult(outcome, started, start, NOT_VERIFIED);
}

/** The transfer behind createWriteStream: STOR (after REST when `start`) or APPE from `source`. */
export async function streamUpload(
  session: Session,
  remotePath: string,
  source: Readable,
  signal: AbortSignal,
  options: WriteStreamOptions,
): Promise<TransferResult> {
  const started = performance.now();
  const start = checkStart(options.start);
  const line = formatCommand(options.append === true ? 'APPE' : 'STOR', remotePath);
  const progress =
    options.onProgress === undefined
      ? undefined
      : new ProgressTracker(options.onProgress, {
          name: remotePath,
          direction: 'upload',
          offset: start,
          total: undefined,
        });
  const outcome = await runTransfer(session, line, { direction: 'upload', source }, signal, {
    restOffset: start,
    ...(progress === undefined ? {} : { onChunk: progress.onChunk }),
  });
  progress?.finish();
  return transferResult(outcome, started, start, NOT_VERIFIED);
}
