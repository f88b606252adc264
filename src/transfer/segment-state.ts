// Progress of a resumable segmented download, kept beside its temporary file as a small JSON file
// (`.<name>.ftps-segments.json`): the remote file it belongs to (path, size, modification time)
// and, per range, how many bytes from its start are on disk. A rerun fetches only what is missing.
//
// Written safely: the data file is flushed first (datasync), then the state goes to a new file
// that is flushed and renamed over the old one, so after a crash the state never claims bytes the
// data file does not hold (it may claim fewer: those are fetched again).
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { SegmentRange, type SegmentFile } from './segment-file.js';

const VERSION = 1;
/** MAX_SEGMENTS of segmented.ts: a state with more ranges was not written by this library. */
const MAX_RANGES = 64;
/** Far above what 64 ranges take: a bigger "state" is not one (and is not read into memory). */
const MAX_STATE_BYTES = 64 * 1024;
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** How often a running download records its progress (also at every range's end and when it stops). */
export const CHECKPOINT_INTERVAL_MS = 1_000;

/** What identifies the remote file: a state made for another size or modification time is stale. */
export interface RemoteIdentity {
  path: string;
  size: number;
  /** MDTM / MLST modify time in ms, when the server tells it. */
  modified: number | undefined;
}

interface StateFile {
  version: number;
  remote: string;
  size: number;
  modified: number | null;
  ranges: [start: number, end: number, done: number][];
}

/**
 * Reads the state file; undefined when it is missing, unreadable, or made for another remote file
 * (or a data file of another length), so the download starts over.
 */
export async function loadSegmentState(file: SegmentFile, remote: RemoteIdentity): Promise<SegmentRange[] | undefined> {
  if (file.statePath === undefined) return undefined;
  let parsed: StateFile | null;
  try {
    parsed = JSON.parse(await readState(file.statePath)) as StateFile | null;
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  if (parsed.version !== VERSION || parsed.remote !== remote.path || parsed.size !== remote.size) return undefined;
  if ((parsed.modified ?? undefined) !== remote.modified || !Array.isArray(parsed.ranges)) return undefined;
  if (parsed.ranges.length > MAX_RANGES) return undefined;
  if ((await file.size()) !== remote.size) return undefined;
  const ranges: SegmentRange[] = [];
  let next = 0;
  for (const r of parsed.ranges) {
    if (!Array.isArray(r) || !r.every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
    const [start, end, done] = r;
    // The ranges must tile [0, size) in order, each done within its range.
    if (start !== next || end <= start || done > end - start) return undefined;
    ranges.push(new SegmentRange(start, end, done));
    next = end;
  }
  return next === remote.size ? ranges : undefined;
}

/** The state file's text; never through a link planted at its name, never more than MAX_STATE_BYTES. */
async function readState(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | NO_FOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_STATE_BYTES) throw new Error('Not a segment state file');
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Saves the ranges' progress now and then while a resumable download runs (see the file comment). */
export class SegmentCheckpoint {
  readonly #file: SegmentFile;
  readonly #path: string;
  readonly #remote: RemoteIdentity;
  readonly #ranges: readonly SegmentRange[];
  #timer: NodeJS.Timeout | undefined;
  /** Saves run one at a time; a request during one runs once more after it. */
  #chain: Promise<void> = Promise.resolve();

  constructor(file: SegmentFile, statePath: string, remote: RemoteIdentity, ranges: readonly SegmentRange[]) {
    this.#file = file;
    this.#path = statePath;
    this.#remote = remote;
    this.#ranges = ranges;
  }

  start(): void {
    this.#timer = setInterval(() => void this.save().catch(() => undefined), CHECKPOINT_INTERVAL_MS);
    this.#timer.unref();
  }

  /** No more saves from the interval; resolves once a save under way is over (a discard may follow). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#chain;
  }

  /** Flushes the data, then writes the state (what is on disk at this moment, or less). */
  save(): Promise<void> {
    const next = this.#chain.then(() => this.#write());
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #write(): Promise<void> {
    // Read the progress before the flush: whatever is counted now is on disk once it returns.
    const state: StateFile = {
      version: VERSION,
      remote: this.#remote.path,
      size: this.#remote.size,
      modified: this.#remote.modified ?? null,
      ranges: this.#ranges.map((r) => [r.start, r.end, r.done]),
    };
    await this.#file.sync();
    const temp = `${this.#path}.new`;
    // A fresh file of our own: a link (or a hard link) planted at this name is removed, not written through.
    await unlink(temp).catch(() => undefined);
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(state)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.#path);
  }
}
