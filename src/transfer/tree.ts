// Folder trees over a pool: uploadDir, downloadDir and mirror (one-way sync). A run has four steps:
//   1. scan the source side (and the destination side when comparing or deleting), in parallel
//      for remote folders; every remote name is checked before it becomes part of a path;
//   2. plan: folders to create, files to copy, entries to delete;
//   3. (unless dryRun) create folders, copy files in parallel on the pool with bounded retries,
//      then delete extraneous entries (mirror with `delete`);
//   4. report every entry with its outcome, and aggregated progress while it runs.
import { constants as fsConstants, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { OperationOptions } from '../client.js';
import { FtpReplyError, UnsafePathError } from '../errors.js';
import type { FtpsPool } from '../pool.js';
import type { FileInfo } from '../protocol/listing/index.js';
import { joinRemotePath } from '../protocol/paths.js';
import { localUpToDate, remoteUpToDate } from './mirror.js';
import { assertNoSymlinkBelow, assertSafeName, localPathInside } from './safe-path.js';

/** An entry of a tree, as the filter sees it. */
export interface TreeEntry {
  /** Path relative to the tree's root, '/'-separated, e.g. `docs/a.txt`. */
  path: string;
  name: string;
  type: 'file' | 'directory';
  /** Which side of the transfer the entry is on. */
  side: 'local' | 'remote';
  size?: number;
  modifiedAt?: Date;
}

export interface TreeProgress {
  /** Files copied (or failed) so far, of `filesTotal` to copy. */
  filesDone: number;
  filesTotal: number;
  /** Bytes of finished files, of `bytesTotal` (sum of the sizes of the files to copy, as far as known). */
  bytesDone: number;
  bytesTotal: number;
  /** The entry that just finished. */
  path: string;
}

export interface TreeOptions extends OperationOptions {
  /** Return false to leave an entry out (a folder: with everything in it). Left-out entries are never deleted either. */
  filter?: (entry: TreeEntry) => boolean;
  /** Follow symlinks (local) and symlink entries (remote) instead of skipping them. Default false. */
  followSymlinks?: boolean;
  /** Stop at the first failed entry: running transfers are aborted, the rest is reported as cancelled. Default false. */
  stopOnError?: boolean;
  /** Retries per file after a transient failure (4xx, lost connection). Default: the pool's `retries`. */
  retries?: number;
  /** Set the copy's modification time to the source's (MFMT/MDTM on the server, utimes locally). Default true. */
  preserveTimes?: boolean;
  /** Plan only: scan both sides and report what would be created, copied and deleted. Default false. */
  dryRun?: boolean;
  /** Called after every finished file (copied or failed) and deletion. */
  onProgress?: (progress: TreeProgress) => void;
}

export interface MirrorOptions extends TreeOptions {
  /** 'upload': local → remote; 'download': remote → local. */
  direction: 'upload' | 'download';
  local: string;
  remote: string;
  /** Delete destination entries the source does not have (and the filter does not exclude). Default false. */
  delete?: boolean;
}

export type TreeAction = 'copy' | 'mkdir' | 'delete' | 'skip';
export type TreeStatus = 'done' | 'planned' | 'skipped' | 'failed' | 'cancelled';

/** One entry of a run and what happened to it. */
export interface TreeItem {
  /** Path relative to the tree's root, '/'-separated (for refused remote names: as listed, within its folder). */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'unknown';
  action: TreeAction;
  status: TreeStatus;
  /** Why it was skipped ('up to date', 'symlink not followed', ...) or what went wrong. */
  reason?: string;
  /** Payload bytes moved (copies). */
  bytes: number;
  /** How often the copy was tried (1 = no retry). */
  attempts: number;
  error?: unknown;
}

export interface TreeResult {
  /** True when no entry failed (refused names count as failures). */
  ok: boolean;
  dryRun: boolean;
  /** Every file, folder and refused entry seen, with its outcome, sorted by path. */
  items: TreeItem[];
  plan: { mkdir: string[]; copy: string[]; delete: string[] };
  files: { total: number; copied: number; upToDate: number; failed: number; deleted: number };
  bytes: { total: number; done: number };
  durationMs: number;
}

interface Node {
  rel: string;
  type: 'file' | 'directory';
  size?: number | undefined;
  modifiedAt?: Date | undefined;
  modifiedPrecision?: FileInfo['modifiedPrecision'];
}

type Scan = Map<string, Node>;

interface Run {
  pool: FtpsPool;
  options: TreeOptions;
  retries: number;
  signal: AbortSignal;
  items: TreeItem[];
}

class StoppedError extends Error {
  constructor() {
    super('Stopped after an earlier failure (stopOnError)');
    this.name = 'StoppedError';
  }
}

const relJoin = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`);
const depth = (rel: string): number => (rel === '' ? 0 : rel.split('/').length);
const parentOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

function entryFor(node: Node, side: 'local' | 'remote'): TreeEntry {
  const entry: TreeEntry = { path: node.rel, name: node.rel.slice(node.rel.lastIndexOf('/') + 1), type: node.type, side };
  if (node.size !== undefined) entry.size = node.size;
  if (node.modifiedAt !== undefined) entry.modifiedAt = node.modifiedAt;
  return entry;
}

function included(run: Run, node: Node, side: 'local' | 'remote'): boolean {
  return run.options.filter === undefined || run.options.filter(entryFor(node, side));
}

// ---------------------------------------------------------------------------------------------
// Scanning

/** Walks a local folder. Symlinks are skipped (and reported) unless followSymlinks; cycles are cut. */
async function scanLocal(run: Run, root: string, reportSkips: boolean): Promise<Scan> {
  const scan: Scan = new Map();
  const follow = run.options.followSymlinks === true;
  const walk = async (dir: string, rel: string, ancestors: Set<string>): Promise<void> => {
    run.signal.throwIfAborted();
    let dirents;
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (rel === '') throw err;
      run.items.push({ path: rel, type: 'directory', action: 'copy', status: 'failed', reason: 'cannot read the folder', bytes: 0, attempts: 0, error: err });
      return;
    }
    for (const d of dirents) {
      const childRel = relJoin(rel, d.name);
      const abs = path.join(dir, d.name);
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      if (d.isSymbolicLink()) {
        if (!follow) {
          if (reportSkips) run.items.push({ path: childRel, type: 'symlink', action: 'skip', status: 'skipped', reason: 'symlink not followed', bytes: 0, attempts: 0 });
          continue;
        }
        const target = await stat(abs).catch(() => undefined);
        if (target === undefined) {
          if (reportSkips) run.items.push({ path: childRel, type: 'symlink', action: 'skip', status: 'skipped', reason: 'broken symlink', bytes: 0, attempts: 0 });
          continue;
        }
        isDir = target.isDirectory();
        isFile = target.isFile();
      }
      if (isDir) {
        const node: Node = { rel: childRel, type: 'directory' };
        if (!included(run, node, 'local')) continue;
        const real = await realpath(abs).catch(() => abs);
        if (ancestors.has(real)) {
          if (reportSkips) run.items.push({ path: childRel, type: 'symlink', action: 'skip', status: 'skipped', reason: 'symlink loop', bytes: 0, attempts: 0 });
          continue;
        }
        scan.set(childRel, node);
        await walk(abs, childRel, new Set([...ancestors, real]));
      } else if (isFile) {
        const st = await stat(abs).catch(() => undefined);
        if (st === undefined) continue; // vanished meanwhile
        const node: Node = { rel: childRel, type: 'file', size: st.size, modifiedAt: st.mtime };
        if (included(run, node, 'local')) scan.set(childRel, node);
      }
      // Sockets, FIFOs, devices: not copied.
    }
  };
  const top = await stat(root);
  if (!top.isDirectory()) throw new TypeError(`Local path ${JSON.stringify(root)} is not a folder`);
  await walk(root, '', new Set([await realpath(root)]));
  return scan;
}

/**
 * Walks a remote folder on the pool, listing folders in parallel. Unsafe names are refused (and
 * reported), unparseable lines and symlinks skipped (followed with followSymlinks: a symlink that
 * SIZE answers is a file, else it is listed as a folder, up to a depth limit).
 */
async function scanRemote(run: Run, root: string, reportSkips: boolean, reportRefused: boolean, missingIsEmpty: boolean): Promise<Scan> {
  const scan: Scan = new Map();
  const follow = run.options.followSymlinks === true;
  const MAX_DEPTH = 64;
  const listOptions = { signal: run.signal, retries: run.retries };
  const walk = async (rel: string): Promise<void> => {
    const dir = rel === '' ? root : joinRemotePath(root, rel);
    let entries: FileInfo[];
    try {
      entries = await run.pool.list(dir, listOptions);
    } catch (err) {
      if (rel === '') {
        if (missingIsEmpty && err instanceof FtpReplyError && (err.replyCode === 550 || err.replyCode === 450)) return;
        throw err;
      }
      if (run.signal.aborted) throw err;
      run.items.push({ path: rel, type: 'directory', action: 'copy', status: 'failed', reason: 'cannot list the folder', bytes: 0, attempts: 0, error: err });
      return;
    }
    const subdirs: Promise<void>[] = [];
    for (const e of entries) {
      if (e.type === 'unknown') {
        // The parsers turn names with "/" or NUL, and lines they cannot read, into 'unknown'.
        const reason = `Refusing a listing line of ${JSON.stringify(dir)} that does not name an entry safely: ${JSON.stringify(e.raw)}`;
        if (reportRefused) run.items.push({ path: relJoin(rel, '?'), type: 'unknown', action: 'skip', status: 'failed', reason, bytes: 0, attempts: 0, error: new UnsafePathError(e.raw, reason) });
        continue;
      }
      try {
        assertSafeName(e.name, JSON.stringify(dir));
      } catch (err) {
        if (reportRefused) run.items.push({ path: relJoin(rel, e.name), type: e.type, action: 'skip', status: 'failed', reason: (err as Error).message, bytes: 0, attempts: 0, error: err });
        continue;
      }
      const childRel = relJoin(rel, e.name);
      let type = e.type;
      let info: FileInfo = e;
      if (type === 'symlink') {
        if (!follow) {
          if (reportSkips) run.items.push({ path: childRel, type: 'symlink', action: 'skip', status: 'skipped', reason: 'symlink not followed', bytes: 0, attempts: 0 });
          continue;
        }
        const target = joinRemotePath(root, childRel);
        const size = await run.pool.size(target, listOptions).catch(() => undefined);
        if (size !== undefined) {
          type = 'file';
          info = { ...e, size };
        } else type = 'directory';
      }
      if (type === 'directory') {
        const node: Node = { rel: childRel, type: 'directory' };
        if (!included(run, node, 'remote')) continue;
        if (depth(childRel) > MAX_DEPTH) {
          run.items.push({ path: childRel, type: 'directory', action: 'skip', status: 'failed', reason: `deeper than ${MAX_DEPTH} levels (symlink loop?)`, bytes: 0, attempts: 0 });
          continue;
        }
        scan.set(childRel, node);
        subdirs.push(walk(childRel));
      } else {
        const node: Node = { rel: childRel, type: 'file', size: info.size, modifiedAt: info.modifiedAt, modifiedPrecision: info.modifiedPrecision };
        if (included(run, node, 'remote')) scan.set(childRel, node);
      }
    }
    const settled = await Promise.allSettled(subdirs);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  };
  await walk('');
  return scan;
}

// ---------------------------------------------------------------------------------------------
// The run

interface Plan {
  mkdir: Node[];
  copy: Node[];
  /** Destination entries to delete before copying (a file where a folder must go, or the reverse). */
  replace: Node[];
  /** Extraneous destination entries (mirror with delete). */
  remove: Node[];
}

interface Sides {
  direction: 'upload' | 'download';
  local: string;
  remote: string;
  /** Compare with the destination (mirror) instead of copying everything. */
  compare: boolean;
  delete: boolean;
}

function makePlan(run: Run, sides: Sides, source: Scan, dest: Scan | undefined): Plan {
  const plan: Plan = { mkdir: [], copy: [], replace: [], remove: [] };
  const upToDate = sides.direction === 'upload' ? remoteUpToDate : localUpToDate;
  for (const node of source.values()) {
    const existing = dest?.get(node.rel);
    // A file where a folder must go (or the reverse) is deleted first, with `delete` only; without
    // it the copy fails on the entry in the way and says so.
    if (existing !== undefined && existing.type !== node.type && sides.delete) plan.replace.push(existing);
    if (node.type === 'directory') {
      if (existing === undefined || existing.type !== 'directory') plan.mkdir.push(node);
      continue;
    }
    if (sides.compare && existing?.type === 'file' && upToDate(node, existing)) {
      run.items.push({ path: node.rel, type: 'file', action: 'skip', status: 'skipped', reason: 'up to date', bytes: 0, attempts: 0 });
      continue;
    }
    plan.copy.push(node);
  }
  if (sides.delete && dest !== undefined) {
    for (const node of dest.values()) {
      if (source.has(node.rel)) continue;
      // Inside a folder that is deleted as a whole: covered by that folder.
      plan.remove.push(node);
    }
  }
  plan.mkdir.sort((a, b) => depth(a.rel) - depth(b.rel) || a.rel.localeCompare(b.rel));
  return plan;
}

async function runTree(pool: FtpsPool, sides: Sides, options: TreeOptions): Promise<TreeResult> {
  const started = performance.now();
  const stop = new AbortController();
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  const run: Run = { pool, options, retries: options.retries ?? pool.retries, signal, items: [] };
  if (!Number.isInteger(run.retries) || run.retries < 0) throw new RangeError('Option "retries" must be an integer >= 0');
  const dryRun = options.dryRun === true;
  const preserveTimes = options.preserveTimes !== false;
  const follow = options.followSymlinks === true;
  const localRoot = path.resolve(sides.local);
  const remoteRoot = sides.remote;

  // 1. Scan.
  const needDest = sides.compare || sides.delete;
  let source: Scan;
  let dest: Scan | undefined;
  if (sides.direction === 'upload') {
    [source, dest] = await Promise.all([
      scanLocal(run, localRoot, true),
      needDest ? scanRemote(run, remoteRoot, false, sides.delete, true) : Promise.resolve(undefined),
    ]);
  } else {
    const localExists = needDest ? await lstat(localRoot).then((s) => s.isDirectory() || s.isSymbolicLink(), () => false) : false;
    [source, dest] = await Promise.all([
      scanRemote(run, remoteRoot, true, true, false),
      needDest ? (localExists ? scanLocal(run, localRoot, false) : Promise.resolve(new Map() as Scan)) : Promise.resolve(undefined),
    ]);
  }

  // 2. Plan.
  const plan = makePlan(run, sides, source, dest);
  const bytesTotal = plan.copy.reduce((n, f) => n + (f.size ?? 0), 0);
  const result = (): TreeResult => {
    const items = run.items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const files = items.filter((i) => i.type !== 'directory');
    return {
      ok: !items.some((i) => i.status === 'failed' || i.status === 'cancelled'),
      dryRun,
      items,
      plan: { mkdir: plan.mkdir.map((n) => n.rel), copy: plan.copy.map((n) => n.rel), delete: [...plan.replace, ...plan.remove].map((n) => n.rel) },
      files: {
        total: plan.copy.length,
        copied: files.filter((i) => i.action === 'copy' && i.status === 'done').length,
        upToDate: files.filter((i) => i.reason === 'up to date').length,
        failed: files.filter((i) => i.status === 'failed').length,
        deleted: files.filter((i) => i.action === 'delete' && i.status === 'done').length,
      },
      bytes: { total: bytesTotal, done: bytesDone },
      durationMs: performance.now() - started,
    };
  };
  let bytesDone = 0;
  if (dryRun) {
    for (const n of plan.replace) run.items.push({ path: n.rel, type: n.type, action: 'delete', status: 'planned', bytes: 0, attempts: 0 });
    for (const n of plan.remove) run.items.push({ path: n.rel, type: n.type, action: 'delete', status: 'planned', bytes: 0, attempts: 0 });
    for (const n of plan.mkdir) run.items.push({ path: n.rel, type: 'directory', action: 'mkdir', status: 'planned', bytes: 0, attempts: 0 });
    for (const n of plan.copy) run.items.push({ path: n.rel, type: 'file', action: 'copy', status: 'planned', bytes: 0, attempts: 0 });
    return result();
  }

  // Failure handling: record, and with stopOnError stop everything else.
  let filesDone = 0;
  const progress = (rel: string): void => {
    options.onProgress?.({ filesDone, filesTotal: plan.copy.length, bytesDone, bytesTotal, path: rel });
  };
  const fail = (item: TreeItem, err: unknown): void => {
    if (signal.aborted && stop.signal.aborted && options.signal?.aborted !== true) {
      item.status = 'cancelled';
      item.reason = 'stopped after an earlier failure (stopOnError)';
      return;
    }
    item.status = 'failed';
    item.error = err;
    item.reason = err instanceof Error ? err.message : String(err);
    if (options.stopOnError === true) stop.abort(new StoppedError());
  };
  /** Runs `fn` on the pool with retries, counting attempts into `item`. */
  const onPool = async (item: TreeItem, fn: Parameters<FtpsPool['run']>[0], retries = run.retries): Promise<boolean> => {
    try {
      await pool.run(async (client, s) => {
        item.attempts++;
        return fn(client, s);
      }, { signal, retries });
      item.status = 'done';
      return true;
    } catch (err) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      fail(item, err);
      return false;
    }
  };
  const remotePathOf = (rel: string): string => (rel === '' ? remoteRoot : joinRemotePath(remoteRoot, rel));
  const localPathOf = (rel: string): string => (rel === '' ? localRoot : localPathInside(localRoot, rel.split('/')));

  // 3a. Replace entries of the wrong type (mirror).
  await Promise.all(plan.replace.map((n) => deleteEntry(n)));

  // 3b. Folders: the root, then every level in parallel (parents exist before their children).
  const failedDirs = new Set<string>();
  if (sides.direction === 'upload') {
    await pool.ensureDir(remoteRoot, { signal, retries: run.retries });
  } else {
    await mkdir(localRoot, { recursive: true });
  }
  for (let level = 1, i = 0; i < plan.mkdir.length; level++) {
    const batch: Node[] = [];
    while (i < plan.mkdir.length && depth((plan.mkdir[i] as Node).rel) === level) batch.push(plan.mkdir[i++] as Node);
    await Promise.all(
      batch.map(async (n) => {
        const item: TreeItem = { path: n.rel, type: 'directory', action: 'mkdir', status: 'planned', bytes: 0, attempts: 0 };
        run.items.push(item);
        if (failedDirs.has(parentOf(n.rel))) {
          fail(item, new Error('parent folder could not be created'));
          failedDirs.add(n.rel);
          return;
        }
        let ok: boolean;
        if (sides.direction === 'upload') {
          const target = remotePathOf(n.rel);
          ok = await onPool(item, async (c, s) => {
            try {
              await c.mkdir(target, { signal: s });
            } catch (err) {
              // Already there (an earlier run, or made by someone else meanwhile) is fine.
              if (err instanceof FtpReplyError && !err.transient && (await c.exists(target, { signal: s }))) return;
              throw err;
            }
          });
        } else {
          item.attempts = 1;
          try {
            const target = localPathOf(n.rel);
            if (!follow) await assertNoSymlinkBelow(localRoot, target);
            await mkdir(target, { recursive: true });
            item.status = 'done';
            ok = true;
          } catch (err) {
            fail(item, err);
            ok = false;
          }
        }
        if (!ok) failedDirs.add(n.rel);
      }),
    );
  }

  // 3c. Files, in parallel on the pool.
  let canSetRemoteTime = true;
  const copyFile = async (n: Node): Promise<void> => {
    const item: TreeItem = { path: n.rel, type: 'file', action: 'copy', status: 'planned', bytes: 0, attempts: 0 };
    run.items.push(item);
    if (failedDirs.has(parentOf(n.rel))) {
      fail(item, new Error('its folder could not be created'));
    } else if (sides.direction === 'upload') {
      const local = localPathOf(n.rel);
      const remote = remotePathOf(n.rel);
      await onPool(item, async (c, s) => {
        const r = await c.upload(local, remote, { signal: s });
        item.bytes = r.bytes;
        if (preserveTimes && canSetRemoteTime && n.modifiedAt !== undefined) {
          await c.setLastModified(remote, n.modifiedAt, { signal: s }).catch((err: unknown) => {
            // Not offered (502/500/501/550 on some servers): stop asking; the compare rule copes.
            if (err instanceof FtpReplyError && !err.transient) canSetRemoteTime = false;
            else throw err;
          });
        }
      });
    } else {
      let local: string;
      try {
        local = localPathOf(n.rel);
        if (!follow) await assertNoSymlinkBelow(localRoot, local);
      } catch (err) {
        fail(item, err);
        filesDone++;
        progress(n.rel);
        return;
      }
      const remote = remotePathOf(n.rel);
      // O_NOFOLLOW: a symlink planted at the destination after the check is not followed either.
      const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | (follow ? 0 : (fsConstants.O_NOFOLLOW ?? 0));
      const ok = await onPool(item, async (c, s) => {
        // fs.open takes numeric flags; @types/node only declares strings for createWriteStream.
        const sink = createWriteStream(local, { flags: flags as unknown as string, highWaterMark: 256 * 1024 });
        try {
          const r = await c.download(remote, sink, { signal: s });
          item.bytes = r.bytes;
        } finally {
          if (!sink.destroyed && !sink.writableFinished) sink.destroy();
        }
      });
      if (ok && preserveTimes && n.modifiedAt !== undefined) {
        await utimes(local, n.modifiedAt, n.modifiedAt).catch(() => undefined);
      }
    }
    if (item.status === 'done') bytesDone += item.bytes;
    filesDone++;
    progress(n.rel);
  };
  await Promise.all(plan.copy.map(copyFile));

  // 3d. Extraneous entries (mirror with delete); skipped when the run was stopped.
  async function deleteEntry(n: Node): Promise<void> {
    const item: TreeItem = { path: n.rel, type: n.type, action: 'delete', status: 'planned', bytes: 0, attempts: 0 };
    run.items.push(item);
    if (sides.direction === 'download') {
      item.attempts = 1;
      try {
        // rm does not follow symlinks; the path is checked to be inside the root.
        await rm(localPathOf(n.rel), { recursive: true, force: true });
        item.status = 'done';
      } catch (err) {
        fail(item, err);
      }
      return;
    }
    const target = remotePathOf(n.rel);
    if (n.type === 'file') {
      await onPool(item, (c, s) => c.remove(target, { signal: s }).catch(async (err: unknown) => {
        // A retry after a lost reply finds the file gone: fine.
        if (item.attempts > 1 && !(await c.exists(target, { signal: s }))) return;
        throw err;
      }));
      return;
    }
    // A folder: its own entries (already scanned and checked) bottom-up, then the folder.
    const inside = [...(dest as Scan).values()].filter((d) => d.rel.startsWith(`${n.rel}/`));
    const files = inside.filter((d) => d.type === 'file');
    const dirs = inside.filter((d) => d.type === 'directory').sort((a, b) => depth(b.rel) - depth(a.rel));
    await onPool(item, async (c, s) => {
      for (const f of files) {
        await c.remove(remotePathOf(f.rel), { signal: s }).catch(async (err: unknown) => {
          if (await c.exists(remotePathOf(f.rel), { signal: s })) throw err;
        });
      }
      for (const d of [...dirs, n]) {
        await c.rmdir(remotePathOf(d.rel), { signal: s }).catch(async (err: unknown) => {
          if (await c.exists(remotePathOf(d.rel), { signal: s })) throw err;
        });
      }
    });
  }
  if (!stop.signal.aborted) {
    // Only the topmost extraneous entries: a folder's content goes with it.
    const gone = [...plan.replace, ...plan.remove].filter((o) => o.type === 'directory');
    const removed = plan.remove.filter((n) => !gone.some((o) => n.rel.startsWith(`${o.rel}/`)));
    await Promise.all(
      removed.map(async (n) => {
        await deleteEntry(n);
        progress(n.rel);
      }),
    );
  } else {
    for (const n of plan.remove) run.items.push({ path: n.rel, type: n.type, action: 'delete', status: 'cancelled', reason: 'stopped after an earlier failure (stopOnError)', bytes: 0, attempts: 0 });
  }
  if (options.signal?.aborted === true) throw options.signal.reason;
  return result();
}

function checkOptions(options: TreeOptions): void {
  if (options.filter !== undefined && typeof options.filter !== 'function') throw new TypeError('Option "filter" must be a function');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new TypeError('Option "onProgress" must be a function');
}

/** Uploads the local folder tree `localDir` into `remoteDir` (created as needed), every file. */
export function uploadDir(pool: FtpsPool, localDir: string, remoteDir: string, options: TreeOptions = {}): Promise<TreeResult> {
  checkOptions(options);
  return runTree(pool, { direction: 'upload', local: localDir, remote: remoteDir, compare: false, delete: false }, options);
}

/** Downloads the remote folder tree `remoteDir` into `localDir` (created as needed), every file. */
export function downloadDir(pool: FtpsPool, remoteDir: string, localDir: string, options: TreeOptions = {}): Promise<TreeResult> {
  checkOptions(options);
  return runTree(pool, { direction: 'download', local: localDir, remote: remoteDir, compare: false, delete: false }, options);
}

/** One-way sync; see docs/pool-and-trees.md for the comparison rule. */
export function mirror(pool: FtpsPool, options: MirrorOptions): Promise<TreeResult> {
  checkOptions(options);
  if (options.direction !== 'upload' && options.direction !== 'download') throw new TypeError('Option "direction" must be "upload" or "download"');
  if (typeof options.local !== 'string' || options.local === '') throw new TypeError('Option "local" must be a non-empty string');
  if (typeof options.remote !== 'string' || options.remote === '') throw new TypeError('Option "remote" must be a non-empty string');
  return runTree(pool, { direction: options.direction, local: options.local, remote: options.remote, compare: true, delete: options.delete === true }, options);
}
