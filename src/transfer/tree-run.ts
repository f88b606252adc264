// Steps 3 and 4 of a tree run: scan, plan, then (unless dryRun) replace entries of the wrong type,
// create folders level by level, copy files in parallel on the runner with bounded retries, delete
// extraneous entries (mirror with `delete`), and report every entry with its outcome. One TreeRun
// per run; each step is a method.
import { lstat, mkdir, rename, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { FtpReplyError } from '../errors.js';
import { joinRemotePath } from '../protocol/paths.js';
import { openDownloadTarget } from './endpoints.js';
import type { ConnectionTransferOptions, TreeConnection, TreeRunner } from './runner.js';
import { limiterFor, type RateLimiter } from './rate-limit.js';
import { assertNoSymlinkBelow, localPathInside } from './safe-path.js';
import { localNamesFoldCase, makePlan, type Plan, type Sides } from './tree-plan.js';
import { TreeProgressMeter } from './tree-progress.js';
import { scanLocal, scanRemote } from './tree-scan.js';
import {
  depth,
  parentOf,
  treeItem,
  type Node,
  type Run,
  type Scan,
  type TreeItem,
  type TreeOptions,
  type TreeResult,
} from './tree-types.js';

class StoppedError extends Error {
  constructor() {
    super('Stopped after an earlier failure (stopOnError)');
    this.name = 'StoppedError';
  }
}

const STOPPED_REASON = 'stopped after an earlier failure (stopOnError)';

/** The temporary name a tree run gives a file while it is incomplete (atomic): `.<name>.part`, beside it. */
export function partName(file: string): string {
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf(path.sep));
  return `${file.slice(0, slash + 1)}.${file.slice(slash + 1)}.part`;
}

/** Temporary names of atomic uploads and downloads (`.<name>.part`, `.<name>.<8 hex>.part`). */
const PART = /^\..+?(?:\.[0-9a-f]{8})?\.part$/;

function newItem(n: Node, action: TreeItem['action'], type: TreeItem['type'] = n.type): TreeItem {
  return treeItem({ path: n.rel, type, action, status: 'planned' });
}

export function runTree(runner: TreeRunner, sides: Sides, options: TreeOptions): Promise<TreeResult> {
  return new TreeRun(runner, sides, options).execute();
}

class TreeRun {
  readonly #started = performance.now();
  readonly #stop = new AbortController();
  readonly #run: Run;
  readonly #sides: Sides;
  readonly #options: TreeOptions;
  readonly #localRoot: string;
  readonly #follow: boolean;
  readonly #failedDirs = new Set<string>();
  #dest: Scan | undefined;
  #plan: Plan = { mkdir: [], copy: [], replace: [], remove: [] };
  #meter = new TreeProgressMeter(undefined, 0, 0);
  #canSetRemoteTime = true;
  readonly #limiter: RateLimiter | undefined;

  constructor(runner: TreeRunner, sides: Sides, options: TreeOptions) {
    const signal =
      options.signal === undefined ? this.#stop.signal : AbortSignal.any([options.signal, this.#stop.signal]);
    this.#run = { runner, options, retries: options.retries ?? runner.retries, signal, items: [] };
    if (!Number.isInteger(this.#run.retries) || this.#run.retries < 0)
      throw new RangeError('Option "retries" must be an integer >= 0');
    this.#sides = sides;
    this.#options = options;
    this.#localRoot = path.resolve(sides.local);
    this.#follow = options.followSymlinks === true;
    this.#limiter = limiterFor(options.rateLimit);
  }

  async execute(): Promise<TreeResult> {
    const source = await this.#scan();
    this.#plan = makePlan(this.#run, this.#sides, source, this.#dest, localNamesFoldCase());
    const bytesTotal = this.#plan.copy.reduce((n, f) => n + (f.size ?? 0), 0);
    this.#meter = new TreeProgressMeter(this.#options.onProgress, this.#plan.copy.length, bytesTotal);
    if (this.#options.dryRun === true) {
      this.#reportPlanned();
      return this.#result(bytesTotal);
    }
    await Promise.all(this.#plan.replace.map((n) => this.#deleteEntry(n)));
    await this.#makeFolders();
    await Promise.all(this.#plan.copy.map((n, i) => this.#copyFile(n, i + 1)));
    await this.#deleteExtraneous();
    if (this.#options.signal?.aborted === true) throw this.#options.signal.reason;
    return this.#result(bytesTotal);
  }

  // ---- step 1: scan ----

  async #scan(): Promise<Scan> {
    const run = this.#run;
    const sides = this.#sides;
    const needDest = sides.compare || sides.delete;
    let source: Scan;
    if (sides.direction === 'upload') {
      [source, this.#dest] = await Promise.all([
        scanLocal(run, this.#localRoot, true),
        needDest ? scanRemote(run, sides.remote, false, sides.delete, true) : Promise.resolve(undefined),
      ]);
    } else {
      const localExists = needDest
        ? await lstat(this.#localRoot).then(
            (s) => s.isDirectory() || s.isSymbolicLink(),
            () => false,
          )
        : false;
      [source, this.#dest] = await Promise.all([
        scanRemote(run, sides.remote, true, true, false),
        needDest
          ? localExists
            ? scanLocal(run, this.#localRoot, false)
            : Promise.resolve(new Map() as Scan)
          : Promise.resolve(undefined),
      ]);
    }
    // An atomic run's own temporary files on the destination are neither extraneous nor compared.
    if (this.#dest !== undefined && this.#options.atomic === true) {
      for (const [rel, n] of this.#dest)
        if (n.type === 'file' && PART.test(rel.slice(rel.lastIndexOf('/') + 1))) this.#dest.delete(rel);
    }
    return source;
  }

  // ---- reporting ----

  #reportPlanned(): void {
    const items = this.#run.items;
    for (const n of [...this.#plan.replace, ...this.#plan.remove]) items.push(newItem(n, 'delete'));
    for (const n of this.#plan.mkdir) items.push(newItem(n, 'mkdir', 'directory'));
    for (const n of this.#plan.copy) items.push(newItem(n, 'copy', 'file'));
  }

  #result(bytesTotal: number): TreeResult {
    const plan = this.#plan;
    const items = this.#run.items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const files = items.filter((i) => i.type !== 'directory');
    return {
      ok: !items.some((i) => i.status === 'failed' || i.status === 'cancelled'),
      dryRun: this.#options.dryRun === true,
      items,
      plan: {
        mkdir: plan.mkdir.map((n) => n.rel),
        copy: plan.copy.map((n) => n.rel),
        delete: [...plan.replace, ...plan.remove].map((n) => n.rel),
      },
      files: {
        total: plan.copy.length,
        copied: files.filter((i) => i.action === 'copy' && i.status === 'done').length,
        upToDate: files.filter((i) => i.reason === 'up to date').length,
        failed: files.filter((i) => i.status === 'failed').length,
        deleted: files.filter((i) => i.action === 'delete' && i.status === 'done').length,
      },
      bytes: { total: bytesTotal, done: this.#meter.bytesDone },
      durationMs: performance.now() - this.#started,
    };
  }

  /** Records a failure; with stopOnError stops everything else. */
  #fail(item: TreeItem, err: unknown): void {
    if (this.#run.signal.aborted && this.#stop.signal.aborted && this.#options.signal?.aborted !== true) {
      item.status = 'cancelled';
      item.reason = STOPPED_REASON;
      return;
    }
    item.status = 'failed';
    item.error = err;
    item.reason = err instanceof Error ? err.message : String(err);
    if (this.#options.stopOnError === true) this.#stop.abort(new StoppedError());
  }

  /** Runs `fn` on the runner with retries, counting attempts into `item`; false when it failed. */
  async #onRunner(item: TreeItem, fn: (c: TreeConnection, s: AbortSignal) => Promise<void>): Promise<boolean> {
    try {
      await this.#run.runner.run(
        async (c, s) => {
          item.attempts++;
          return fn(c, s);
        },
        { signal: this.#run.signal, retries: this.#run.retries },
      );
      item.status = 'done';
      return true;
    } catch (err) {
      if (this.#options.signal?.aborted === true) throw this.#options.signal.reason;
      this.#fail(item, err);
      return false;
    }
  }

  /** Runs a local step for `item` (one attempt); false when it failed. */
  async #locally(item: TreeItem, fn: () => Promise<void>): Promise<boolean> {
    item.attempts = 1;
    try {
      await fn();
      item.status = 'done';
      return true;
    } catch (err) {
      this.#fail(item, err);
      return false;
    }
  }

  #remotePath(rel: string): string {
    return rel === '' ? this.#sides.remote : joinRemotePath(this.#sides.remote, rel);
  }

  #localPath(rel: string): string {
    return rel === '' ? this.#localRoot : localPathInside(this.#localRoot, rel.split('/'));
  }

  // ---- step 3b: folders, the root, then every level in parallel (parents before children) ----

  async #makeFolders(): Promise<void> {
    if (this.#sides.direction === 'upload')
      await this.#run.runner.ensureDir(this.#sides.remote, { signal: this.#run.signal, retries: this.#run.retries });
    else await mkdir(this.#localRoot, { recursive: true });
    const { mkdir: folders } = this.#plan;
    for (let level = 1, i = 0; i < folders.length; level++) {
      const batch: Node[] = [];
      while (i < folders.length && depth((folders[i] as Node).rel) === level) batch.push(folders[i++] as Node);
      await Promise.all(batch.map((n) => this.#makeFolder(n)));
    }
  }

  async #makeFolder(n: Node): Promise<void> {
    const item = newItem(n, 'mkdir', 'directory');
    this.#run.items.push(item);
    if (this.#failedDirs.has(parentOf(n.rel))) {
      this.#fail(item, new Error('parent folder could not be created'));
      this.#failedDirs.add(n.rel);
      return;
    }
    const ok =
      this.#sides.direction === 'upload'
        ? await this.#onRunner(item, (c, s) => makeRemoteFolder(c, this.#remotePath(n.rel), s))
        : await this.#locally(item, () => this.#makeLocalFolder(n.rel));
    if (!ok) this.#failedDirs.add(n.rel);
  }

  async #makeLocalFolder(rel: string): Promise<void> {
    const target = this.#localPath(rel);
    if (!this.#follow) await assertNoSymlinkBelow(this.#localRoot, target);
    await mkdir(target, { recursive: true });
  }

  // ---- step 3c: files, in parallel on the runner ----

  async #copyFile(n: Node, index: number): Promise<void> {
    const item = newItem(n, 'copy', 'file');
    this.#run.items.push(item);
    if (this.#failedDirs.has(parentOf(n.rel))) this.#fail(item, new Error('its folder could not be created'));
    else if (this.#sides.direction === 'upload') await this.#upload(n, item, index);
    else await this.#download(n, item, index);
    this.#meter.fileDone(n.rel, index, item.status === 'done' ? item.bytes : undefined);
  }

  /** The single-file options for one file's transfer. */
  #transferOptions(n: Node, index: number, signal: AbortSignal): ConnectionTransferOptions {
    const { resume, verify } = this.#options;
    const onProgress = this.#meter.fileListener(n.rel, index);
    this.#meter.fileStarted(n.rel);
    return {
      signal,
      ...(resume === true ? { resume } : {}),
      ...(verify !== undefined && verify !== false ? { verify } : {}),
      ...(onProgress === undefined ? {} : { onProgress }),
      ...(this.#limiter === undefined ? {} : { rateLimit: this.#limiter }),
    };
  }

  async #upload(n: Node, item: TreeItem, index: number): Promise<void> {
    const local = this.#localPath(n.rel);
    const remote = this.#remotePath(n.rel);
    const atomic = this.#options.atomic === true;
    await this.#onRunner(item, async (c, s) => {
      const r = await c.upload(local, remote, { ...this.#transferOptions(n, index, s), ...(atomic ? { atomic } : {}) });
      item.bytes = r.bytes;
      if (this.#options.preserveTimes !== false && this.#canSetRemoteTime && n.modifiedAt !== undefined) {
        await c.setLastModified(remote, n.modifiedAt, { signal: s }).catch((err: unknown) => {
          // Not offered (502/500/501/550 on some servers): stop asking; the compare rule copes.
          if (err instanceof FtpReplyError && !err.transient) this.#canSetRemoteTime = false;
          else throw err;
        });
      }
    });
  }

  async #download(n: Node, item: TreeItem, index: number): Promise<void> {
    let local: string;
    try {
      local = this.#localPath(n.rel);
      if (!this.#follow) await assertNoSymlinkBelow(this.#localRoot, local);
    } catch (err) {
      this.#fail(item, err);
      return;
    }
    const atomic = this.#options.atomic === true;
    const target = atomic ? partName(local) : local;
    const remote = this.#remotePath(n.rel);
    const ok = await this.#onRunner(item, async (c, s) => {
      const options = this.#transferOptions(n, index, s);
      if (options.resume === true) {
        // Resume appends to the local file by path: refuse a planted symlink there first.
        if (
          !this.#follow &&
          (await lstat(target).then(
            (st) => st.isSymbolicLink(),
            () => false,
          ))
        ) {
          throw Object.assign(new Error(`ELOOP: refusing to write through the symlink ${target}`), { code: 'ELOOP' });
        }
        item.bytes = (await c.download(remote, target, options)).bytes;
        return;
      }
      // Checked before RETR goes out, on every attempt: a folder in the way (EISDIR), a vanished
      // parent (ENOENT) or a planted symlink (ELOOP, O_NOFOLLOW) fails this entry, not the run. The
      // local copy is replaced only once data arrives: a refused download leaves it as it was.
      const sink = await openDownloadTarget(target, { followSymlinks: this.#follow });
      try {
        item.bytes = (await c.download(remote, sink, options)).bytes;
      } finally {
        if (!sink.destroyed && !sink.writableFinished) sink.destroy();
      }
    });
    if (!ok) return;
    if (atomic) {
      try {
        await rename(target, local);
      } catch (err) {
        this.#fail(item, err);
        return;
      }
    }
    if (this.#options.preserveTimes !== false && n.modifiedAt !== undefined)
      await utimes(local, n.modifiedAt, n.modifiedAt).catch(() => undefined);
  }

  // ---- step 3d: extraneous entries (mirror with delete); skipped when the run was stopped ----

  async #deleteExtraneous(): Promise<void> {
    const { replace, remove } = this.#plan;
    if (this.#stop.signal.aborted) {
      for (const n of remove)
        this.#run.items.push({ ...newItem(n, 'delete'), status: 'cancelled', reason: STOPPED_REASON });
      return;
    }
    // Only the topmost extraneous entries: a folder's content goes with it.
    const gone = [...replace, ...remove].filter((o) => o.type === 'directory');
    const topmost = remove.filter((n) => !gone.some((o) => n.rel.startsWith(`${o.rel}/`)));
    await Promise.all(
      topmost.map(async (n) => {
        await this.#deleteEntry(n);
        this.#meter.deleted(n.rel);
      }),
    );
  }

  async #deleteEntry(n: Node): Promise<void> {
    const item = newItem(n, 'delete');
    this.#run.items.push(item);
    if (this.#sides.direction === 'download') {
      // rm does not follow symlinks; the path is checked to be inside the root.
      await this.#locally(item, () => rm(this.#localPath(n.rel), { recursive: true, force: true }));
      return;
    }
    const target = this.#remotePath(n.rel);
    if (n.type === 'file') {
      await this.#onRunner(item, (c, s) =>
        c.remove(target, { signal: s }).catch(async (err: unknown) => {
          // A retry after a lost reply finds the file gone: fine.
          if (item.attempts > 1 && !(await c.exists(target, { signal: s }))) return;
          throw err;
        }),
      );
      return;
    }
    // A folder: its own entries (already scanned and checked) bottom-up, then the folder.
    const inside = [...(this.#dest as Scan).values()].filter((d) => d.rel.startsWith(`${n.rel}/`));
    const files = inside.filter((d) => d.type === 'file').map((d) => this.#remotePath(d.rel));
    const dirs = inside
      .filter((d) => d.type === 'directory')
      .sort((a, b) => depth(b.rel) - depth(a.rel))
      .map((d) => this.#remotePath(d.rel));
    await this.#onRunner(item, async (c, s) => {
      for (const f of files) await c.remove(f, { signal: s }).catch(unlessGone(c, f, s));
      for (const d of [...dirs, target]) await c.rmdir(d, { signal: s }).catch(unlessGone(c, d, s));
    });
  }
}

/** MKD; a folder already there (an earlier run, or made by someone else meanwhile) is fine. */
async function makeRemoteFolder(c: TreeConnection, target: string, signal: AbortSignal): Promise<void> {
  try {
    await c.mkdir(target, { signal });
  } catch (err) {
    if (err instanceof FtpReplyError && !err.transient && (await c.exists(target, { signal }))) return;
    throw err;
  }
}

/** A catch handler that ignores a failed delete when the entry is gone anyway. */
function unlessGone(c: TreeConnection, target: string, signal: AbortSignal): (err: unknown) => Promise<void> {
  return async (err) => {
    if (await c.exists(target, { signal })) throw err;
  };
}
