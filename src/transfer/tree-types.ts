// The types of folder-tree runs (uploadDir, downloadDir, mirror): the public ones, and what the
// scan, plan and run steps share.
import type { FileInfo } from '../protocol/listing/index.js';
import type { ProgressEvent } from './progress.js';
import type { TreeRunner } from './runner.js';
import type { RateLimiter } from './rate-limit.js';
import type { VerifyOptions } from './verify.js';

/** An entry of a tree, as the filter sees it. */
export interface TreeEntry {
  /** Path relative to the tree's root, '/'-separated, e.g. `docs/a.txt`. */
  path: string;
  /** The last part of `path`. */
  name: string;
  /** A file or a folder (symlinks are followed or skipped before the filter sees them). */
  type: 'file' | 'directory';
  /** Which side of the transfer the entry is on. */
  side: 'local' | 'remote';
  /** Size in bytes, when known (files). */
  size?: number;
  /** Modification time, when known. */
  modifiedAt?: Date;
}

/** What a tree run's `onProgress` receives: the whole run's counters, and the file the event is about. */
export interface TreeProgress {
  /** Files copied (or failed) so far, of `filesTotal` to copy. */
  filesDone: number;
  /** Files the plan copies. */
  filesTotal: number;
  /** Bytes of finished files, of `bytesTotal` (sum of the sizes of the files to copy, as far as known). */
  bytesDone: number;
  /** Sum of the sizes of the files to copy, as far as known. */
  bytesTotal: number;
  /** Bytes moved so far by the files still being copied (resumed parts not counted). */
  bytesInFlight: number;
  /** Files being copied right now. */
  filesRunning: number;
  /** Average rate of the run so far: (bytesDone + bytesInFlight) per second since the copies began. */
  bytesPerSecond: number;
  /** Estimated seconds until every byte is copied at that rate; undefined until data has moved. */
  etaSeconds: number | undefined;
  /** The file this event is about. */
  path: string;
  /** Its position (1-based) among the `filesTotal` files to copy; 0 for a deletion. */
  fileIndex: number;
  /** True when the event reports a finished file or deletion; false while a file's bytes move. */
  finished: boolean;
  /**
   * The file's own progress: the same event a single `upload()`/`download()` gives its
   * `onProgress` (`bytes` with any resumed offset, `total`, `bytesPerSecond` of this file, `name`
   * the remote path). Present on every event while the file's bytes move, and on the finished
   * event of a copied file (its final event, `done: true`). On a failed file's finished event: its
   * last event if one came mid-file (never `done: true`). Absent for deletions.
   */
  file?: ProgressEvent;
}

/** What every file of a tree run gets, with the meaning of the single-file options (docs/transfers.md). */
export interface TreeTransferOptions {
  /**
   * Every file under a temporary name beside its target (`.<name>.part`) until complete, then
   * renamed over it: no file is ever seen half-written under its own name. Uploads use the
   * single-file `atomic`; downloads write the local temporary file and rename it. Default false.
   */
  atomic?: boolean;
  /**
   * Continue a partial file instead of restarting it (the single-file `resume`): an interrupted run
   * run again sends only what is missing. With `atomic`, the partial temporary file is kept and
   * continued. Default false.
   */
  resume?: boolean;
  /** After each file compare SIZE and, where the server offers one, a hash (the single-file `verify`). */
  verify?: boolean | 'size' | VerifyOptions;
  /**
   * Bandwidth limit in bytes per second for the whole run (all files together, as backpressure).
   * A RateLimiter instance is shared with whatever else it is given to (other runs, single transfers).
   */
  rateLimit?: number | RateLimiter;
}

/**
 * Options of {@link FtpsPool.uploadDir}, {@link FtpsPool.downloadDir} (and, with `direction`,
 * `local` and `remote`, {@link FtpsPool.mirror}). See docs/pool-and-trees.md.
 */
export interface TreeOptions extends TreeTransferOptions {
  /** Aborting it stops the run: running transfers are aborted and the run rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Return false to leave an entry out (a folder: with everything in it). Left-out entries are never deleted either.
   */
  filter?: (entry: TreeEntry) => boolean;
  /** Follow symlinks (local) and symlink entries (remote) instead of skipping them. Default false. */
  followSymlinks?: boolean;
  /**
   * Stop at the first failed entry: running transfers are aborted, the rest is reported as cancelled. Default false.
   */
  stopOnError?: boolean;
  /** Retries per file after a transient failure (4xx, lost connection). Default: the pool's `retries`. */
  retries?: number;
  /** Set the copy's modification time to the source's (MFMT/MDTM on the server, utimes locally). Default true. */
  preserveTimes?: boolean;
  /** Plan only: scan both sides and report what would be created, copied and deleted. Default false. */
  dryRun?: boolean;
  /**
   * Cap on the entries of a remote scan (every folder of the tree together). Beyond it the run
   * rejects with ListingTooLargeError before anything is copied or deleted. Default 1 000 000.
   */
  maxEntries?: number;
  /**
   * Called while files' bytes move (at most every 100 ms per file), after every finished file (copied or failed) and
   * deletion.
   */
  onProgress?: (progress: TreeProgress) => void;
}

/** Options of {@link FtpsPool.mirror}: which way, the two folders, and whether to delete. */
export interface MirrorOptions extends TreeOptions {
  /** 'upload': local → remote; 'download': remote → local. */
  direction: 'upload' | 'download';
  /** The local folder. */
  local: string;
  /** The remote folder. */
  remote: string;
  /** Delete destination entries the source does not have (and the filter does not exclude). Default false. */
  delete?: boolean;
}

/** What a run does with an entry: copy a file, create a folder, delete an extraneous entry, or nothing. */
export type TreeAction = 'copy' | 'mkdir' | 'delete' | 'skip';
/**
 * How an entry's action ended: `'done'`, `'planned'` (a dry run), `'skipped'` (up to date, a symlink
 * not followed…), `'failed'` (see `error`), or `'cancelled'` (the run stopped first: abort or `stopOnError`).
 */
export type TreeStatus = 'done' | 'planned' | 'skipped' | 'failed' | 'cancelled';

/** One entry of a run and what happened to it. */
export interface TreeItem {
  /** Path relative to the tree's root, '/'-separated (for refused remote names: as listed, within its folder). */
  path: string;
  /** What the entry is (`'unknown'`: a listing line no parser understood). */
  type: 'file' | 'directory' | 'symlink' | 'unknown';
  /** What the run does with it. */
  action: TreeAction;
  /** How that ended. */
  status: TreeStatus;
  /** Why it was skipped ('up to date', 'symlink not followed', ...) or what went wrong. */
  reason?: string;
  /** Payload bytes moved (copies). */
  bytes: number;
  /** How often the copy was tried (1 = no retry). */
  attempts: number;
  /** With status `'failed'`: the error (an FtpsError such as UnsafePathError, or Node's own for local files). */
  error?: unknown;
}

/**
 * What a tree run did. A run resolves with this even when entries failed (check `ok`); it rejects
 * only when it could not run at all (abort, a scan error, ListingTooLargeError, a closed pool).
 */
export interface TreeResult {
  /** True when no entry failed or was cancelled (refused names count as failures). */
  ok: boolean;
  /** Whether this was a dry run (`dryRun: true`): nothing was changed. */
  dryRun: boolean;
  /** Every file, folder and refused entry seen, with its outcome, sorted by path. */
  items: TreeItem[];
  /** The relative paths the run planned to create, copy and delete (replaced entries included in `delete`). */
  plan: {
    /** Folders to create. */
    mkdir: string[];
    /** Files to copy. */
    copy: string[];
    /** Entries to delete. */
    delete: string[];
  };
  /** Counts of files (every type but folders). */
  files: {
    /** Files the plan copies. */
    total: number;
    /** Copied successfully. */
    copied: number;
    /** Left alone: same size and modification time on both sides. */
    upToDate: number;
    /** Failed (refused names included). */
    failed: number;
    /** Deleted (`delete: true`). */
    deleted: number;
  };
  /** Payload bytes. */
  bytes: {
    /** Sum of the sizes of the files to copy, as far as known. */
    total: number;
    /** Bytes of finished files. */
    done: number;
  };
  /** Wall time of the run. */
  durationMs: number;
}

/** A file or folder found by a scan; `rel` is '/'-separated, relative to the tree's root. */
export interface Node {
  rel: string;
  type: 'file' | 'directory';
  size?: number | undefined;
  modifiedAt?: Date | undefined;
  modifiedPrecision?: FileInfo['modifiedPrecision'];
}

/** A scanned side, by `rel`. */
export type Scan = Map<string, Node>;

/** What every step of one run shares. */
export interface Run {
  runner: TreeRunner;
  options: TreeOptions;
  retries: number;
  signal: AbortSignal;
  items: TreeItem[];
}

export const DEFAULT_MAX_TREE_ENTRIES = 1_000_000;

export const relJoin = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`);
export const depth = (rel: string): number => (rel === '' ? 0 : rel.split('/').length);
export const parentOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

/** A TreeItem that has moved nothing yet (no bytes, no attempts): every record the scan, plan and run start. */
export function treeItem({ error, ...record }: Omit<TreeItem, 'bytes' | 'attempts'>): TreeItem {
  const item: TreeItem = { ...record, bytes: 0, attempts: 0 };
  if (error !== undefined) item.error = error;
  return item;
}
