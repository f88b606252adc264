// Folder trees over a runner (an FtpsPool): uploadDir, downloadDir and mirror (one-way sync). A run
// has four steps, each in a file of its own:
//   1. scan the source side (and the destination side when comparing or deleting): tree-scan.ts;
//   2. plan: folders to create, files to copy, entries to delete: tree-plan.ts;
//   3. (unless dryRun) replace entries of the wrong type, create folders, copy files in parallel
//      with bounded retries, then delete extraneous entries (mirror with `delete`): tree-run.ts;
//   4. report every entry with its outcome, and aggregated progress while it runs.
import { RateLimiter } from './rate-limit.js';
import type { TreeRunner } from './runner.js';
import { runTree } from './tree-run.js';
import type { MirrorOptions, TreeOptions, TreeResult } from './tree-types.js';

export type {
  MirrorOptions,
  TreeAction,
  TreeEntry,
  TreeItem,
  TreeOptions,
  TreeProgress,
  TreeResult,
  TreeStatus,
} from './tree-types.js';

function checkOptions(options: TreeOptions): void {
  if (options.filter !== undefined && typeof options.filter !== 'function')
    throw new TypeError('Option "filter" must be a function');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw new TypeError('Option "onProgress" must be a function');
  if (options.rateLimit !== undefined && !(options.rateLimit instanceof RateLimiter))
    new RateLimiter(options.rateLimit); // RangeError for a bad number
  if (options.maxEntries !== undefined && (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1))
    throw new RangeError('Option "maxEntries" must be an integer >= 1');
}

/** Uploads the local folder tree `localDir` into `remoteDir` (created as needed), every file. */
export function uploadDir(
  runner: TreeRunner,
  localDir: string,
  remoteDir: string,
  options: TreeOptions = {},
): Promise<TreeResult> {
  checkOptions(options);
  return runTree(
    runner,
    { direction: 'upload', local: localDir, remote: remoteDir, compare: false, delete: false },
    options,
  );
}

/** Downloads the remote folder tree `remoteDir` into `localDir` (created as needed), every file. */
export function downloadDir(
  runner: TreeRunner,
  remoteDir: string,
  localDir: string,
  options: TreeOptions = {},
): Promise<TreeResult> {
  checkOptions(options);
  return runTree(
    runner,
    { direction: 'download', local: localDir, remote: remoteDir, compare: false, delete: false },
    options,
  );
}

/** One-way sync; see docs/pool-and-trees.md for the comparison rule. */
export function mirror(runner: TreeRunner, options: MirrorOptions): Promise<TreeResult> {
  checkOptions(options);
  if (options.direction !== 'upload' && options.direction !== 'download')
    throw new TypeError('Option "direction" must be "upload" or "download"');
  if (typeof options.local !== 'string' || options.local === '')
    throw new TypeError('Option "local" must be a non-empty string');
  if (typeof options.remote !== 'string' || options.remote === '')
    throw new TypeError('Option "remote" must be a non-empty string');
  return runTree(
    runner,
    {
      direction: options.direction,
      local: options.local,
      remote: options.remote,
      compare: true,
      delete: options.delete === true,
    },
    options,
  );
}
