// What a folder-tree run needs from the outside: somewhere to run operations on a connection, with
// retries. FtpsPool satisfies TreeRunner (and FtpsClient TreeConnection); the tree code depends on
// these interfaces only, never on the pool or the client themselves.
import type { Writable } from 'node:stream';
import type { FileInfo } from '../protocol/listing/index.js';
import type { ProgressListener } from './progress.js';
import type { RateLimiter } from './rate-limit.js';
import type { VerifyOptions } from './verify.js';

/** The single-file options a tree run passes on to each transfer. */
export interface ConnectionTransferOptions {
  signal?: AbortSignal;
  resume?: boolean;
  verify?: boolean | 'size' | VerifyOptions;
  onProgress?: ProgressListener;
  rateLimit?: RateLimiter;
}

export interface RunnerOptions {
  signal?: AbortSignal;
  /** Retries after a transient failure, on another connection. */
  retries?: number;
}

/** One logged-in connection, as a tree run uses it inside `TreeRunner.run`. */
export interface TreeConnection {
  /** Uploads the local file `localPath` (opened before any command is sent). */
  upload(
    localPath: string,
    remotePath: string,
    options: ConnectionTransferOptions & { atomic?: boolean },
  ): Promise<{ bytes: number }>;
  /** Downloads into `sink` (ended when the transfer ends), or into a local path (for `resume`). */
  download(
    remotePath: string,
    destination: Writable | string,
    options: ConnectionTransferOptions,
  ): Promise<{ bytes: number }>;
  mkdir(path: string, options: { signal?: AbortSignal }): Promise<void>;
  exists(path: string, options: { signal?: AbortSignal }): Promise<boolean>;
  setLastModified(path: string, date: Date, options: { signal?: AbortSignal }): Promise<void>;
  remove(path: string, options: { signal?: AbortSignal }): Promise<void>;
  rmdir(path: string, options: { signal?: AbortSignal }): Promise<void>;
}

/** Runs operations on connections of its own, in parallel, retrying transient failures when asked. */
export interface TreeRunner {
  /** Default retries per operation. */
  readonly retries: number;
  /** Runs `fn` on a connection; with `retries`, a transient failure runs it again on a working one. */
  run<T>(fn: (connection: TreeConnection, signal: AbortSignal) => Promise<T>, options: RunnerOptions): Promise<T>;
  list(path: string, options: RunnerOptions): Promise<FileInfo[]>;
  size(path: string, options: RunnerOptions): Promise<number>;
  ensureDir(path: string, options: RunnerOptions): Promise<void>;
}
