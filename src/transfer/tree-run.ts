// Steps 3 and 4 of a tree run: scan, plan, then (unless dryRun) replace entries of the wrong type,
// create folders level by level, copy files in parallel on the runner with bounded retries, delete
// extraneous entries (mirror with `delete`), and report every entry with its outcome.
import { lstat, mkdir, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { FtpReplyError } from '../errors.js';
import { joinRemotePath } from '../protocol/paths.js';
import { openDownloadTarget } from './endpoints.js';
import type { TreeConnection, TreeRunner } from './runner.js';
import { assertNoSymlinkBelow, localPathInside } from './safe-path.js';
import { localNamesFoldCase, makePlan, type Sides } from './tree-plan.js';
import { scanLocal, scanRemote } from './tree-scan.js';
import { depth, parentOf, type Node, type Run, type Scan, type TreeItem, type TreeOptions, type TreeResult } from './tree-types.js';

class StoppedError extends Error {
  constructor() {
    super('Stopped after an earlier failure (stopOnError)');
    this.name = 'StoppedError';
  }
}

export async function runTree(runner: TreeRunner, sides: Sides, options: TreeOptions): Promise<TreeResult> {
  const started = performance.now();
  const stop = new AbortController();
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  const run: Run = { runner, options, retries: options.retries ?? runner.retries, signal, items: [] };
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
  const plan = makePlan(run, sides, source, dest, localNamesFoldCase());
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
  /** Runs `fn` on the runner with retries, counting attempts into `item`. */
  const onRunner = async (item: TreeItem, fn: (c: TreeConnection, s: AbortSignal) => Promise<void>, retries = run.retries): Promise<boolean> => {
    try {
      await runner.run(async (c, s) => {
        item.attempts++;
        return fn(c, s);
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
    await runner.ensureDir(remoteRoot, { signal, retries: run.retries });
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
          ok = await onRunner(item, async (c, s) => {
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

  // 3c. Files, in parallel on the runner.
  let canSetRemoteTime = true;
  const copyFile = async (n: Node): Promise<void> => {
    const item: TreeItem = { path: n.rel, type: 'file', action: 'copy', status: 'planned', bytes: 0, attempts: 0 };
    run.items.push(item);
    if (failedDirs.has(parentOf(n.rel))) {
      fail(item, new Error('its folder could not be created'));
    } else if (sides.direction === 'upload') {
      const local = localPathOf(n.rel);
      const remote = remotePathOf(n.rel);
      await onRunner(item, async (c, s) => {
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
      const ok = await onRunner(item, async (c, s) => {
        // Checked before RETR goes out, on every attempt: a folder in the way (EISDIR), a vanished
        // parent (ENOENT) or a planted symlink (ELOOP, O_NOFOLLOW) fails this entry, not the run. The
        // local copy is replaced only once data arrives: a refused download leaves it as it was.
        const sink = await openDownloadTarget(local, { followSymlinks: follow });
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
      await onRunner(item, (c, s) => c.remove(target, { signal: s }).catch(async (err: unknown) => {
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
    await onRunner(item, async (c, s) => {
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
