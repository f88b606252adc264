// put and get: single files over a pool of --parallel connections, folders (-r) as tree runs.
import { stat, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FtpsPool, ProgressEvent, TreeProgress, TreeResult } from '../../index.js';
import type { Context } from '../context.js';
import type { FileOutcome } from '../output.js';
import { remoteJoin } from '../target.js';
import { Tally, usage, type CommandResult } from './tally.js';
import { CommandTotals, TreeView } from './tree-view.js';

interface Job {
  local: string;
  remote: string;
  size: number | undefined;
}

function progressOf(ctx: Context, label: string): (e: ProgressEvent) => void {
  return (e) => ctx.reporter.progress(label, e.bytes, e.total, e.bytesPerSecond);
}

/** The options every tree run (put -r, get -r, mirror) takes from the flags, its progress shown by `view`. */
export function treeOptions(
  ctx: Context,
  view: TreeView,
): {
  signal: AbortSignal;
  onProgress: (p: TreeProgress) => void;
  atomic: boolean;
  resume: boolean;
  verify: boolean;
  retries?: number;
} {
  const { atomic, resume, verify } = ctx.flags;
  return { signal: ctx.signal, onProgress: view.onProgress, atomic, resume, verify, ...retries(ctx) };
}

/** Reports a tree run's entries (but the copies `view` showed already) and counts them into `tally`. */
function reportTree(ctx: Context, op: 'put' | 'get', result: TreeResult, view: TreeView, tally: Tally): void {
  for (const item of result.items) {
    if (item.type !== 'file' && item.status !== 'failed') continue;
    const local = view.localPath(item.path);
    const remote = view.remotePath(item.path);
    if (item.status === 'failed') {
      tally.failures.push(item.error ?? new Error(item.reason ?? 'failed'));
      ctx.reporter.failed(view.label(item.path), item.error ?? new Error(item.reason ?? 'failed'));
    } else if (item.status === 'cancelled') {
      tally.failures.push(ctx.signal.reason ?? new Error('cancelled'));
    } else {
      tally.ok++;
      if (view.shown(item.path)) continue;
      const outcome: FileOutcome = { op, local, remote, bytes: item.bytes };
      if (item.status === 'skipped' && item.reason !== undefined) outcome.note = item.reason;
      if (item.status === 'planned') outcome.note = 'dry run';
      ctx.reporter.done(outcome);
    }
  }
}

/** Single files in parallel; what they moved is added to `totals` (for folder runs that follow). */
async function runJobs(
  ctx: Context,
  pool: FtpsPool,
  jobs: Job[],
  op: 'put' | 'get',
  tally: Tally,
  totals = new CommandTotals(),
): Promise<void> {
  if (jobs.length > 1)
    ctx.reporter.totals(
      jobs.reduce((n, j) => n + (j.size ?? 0), 0),
      jobs.length,
    );
  totals.filesTotal += jobs.length;
  totals.bytesTotal += jobs.reduce((n, j) => n + (j.size ?? 0), 0);
  const { atomic, resume, verify } = ctx.flags;
  await Promise.all(
    jobs.map(async (job) => {
      const label = op === 'put' ? job.local : job.remote;
      try {
        const common = { signal: ctx.signal, resume, verify, onProgress: progressOf(ctx, label) };
        const r =
          op === 'put'
            ? await pool.upload(job.local, job.remote, { ...common, atomic })
            : await downloadOne(ctx, pool, job, common);
        tally.ok++;
        const outcome: FileOutcome = {
          op,
          local: job.local,
          remote: job.remote,
          bytes: r.bytes + r.resumedFrom,
          durationMs: Math.round(r.durationMs),
        };
        if (r.resumedFrom > 0) outcome.note = `resumed at ${r.resumedFrom}`;
        totals.filesDone++;
        totals.bytesDone += r.bytes;
        ctx.reporter.done(outcome);
      } catch (err) {
        tally.failures.push(err);
        if (!ctx.signal.aborted) ctx.reporter.failed(label, err);
      }
    }),
  );
}

/**
 * With --atomic the download goes to "NAME.part" beside the target and is renamed only when
 * complete; a failed one is removed (kept with --resume, which continues it next time). Without
 * --resume the library already never shows a partial file under the name it writes; the ".part"
 * name matters for --resume, whose partial data stays under the name it is written to.
 */
async function downloadOne(ctx: Context, pool: FtpsPool, job: Job, options: Parameters<FtpsPool['download']>[2]) {
  if (!ctx.flags.atomic) return pool.download(job.remote, job.local, options);
  const partial = `${job.local}.part`;
  try {
    const r = await pool.download(job.remote, partial, options);
    await rename(partial, job.local);
    return r;
  } catch (err) {
    if (!ctx.flags.resume) await rm(partial, { force: true });
    throw err;
  }
}

async function localKind(p: string): Promise<'file' | 'directory' | undefined> {
  try {
    const st = await stat(p);
    return st.isDirectory() ? 'directory' : 'file';
  } catch {
    return undefined;
  }
}

export async function put(ctx: Context, args: string[]): Promise<CommandResult> {
  usage(args.length < 2, 'put needs LOCAL... URL');
  const target = ctx.target(args[args.length - 1] as string);
  const locals = args.slice(0, -1);
  const files: Job[] = [];
  const dirs: string[] = [];
  for (const local of locals) {
    const st = await stat(local).catch(() => undefined);
    usage(st === undefined, `${local}: no such file or folder`);
    if (st?.isDirectory() === true) {
      usage(!ctx.flags.recursive, `${local} is a folder: use put -r`);
      dirs.push(local);
    } else files.push({ local, remote: '', size: st?.size });
  }
  const intoDir = target.isDir || locals.length > 1;
  for (const f of files) f.remote = intoDir ? remoteJoin(target.path, path.basename(f.local)) : target.path;
  const tally = new Tally();
  const pool = await ctx.pool(target);
  try {
    if (intoDir && files.length > 0) await pool.ensureDir(target.path, { signal: ctx.signal });
    const totals = new CommandTotals();
    await runJobs(ctx, pool, files, 'put', tally, totals);
    for (const dir of dirs) {
      const remote = intoDir ? remoteJoin(target.path, path.basename(path.resolve(dir))) : target.path;
      const view = new TreeView(ctx, true, dir, remote, totals);
      const result = await pool.uploadDir(dir, remote, treeOptions(ctx, view));
      view.end();
      reportTree(ctx, 'put', result, view, tally);
    }
  } catch (err) {
    tally.failures.push(err);
    if (!ctx.signal.aborted) ctx.reporter.failed(target.path, err);
  } finally {
    await pool.close({ signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  }
  return { code: tally.exitCode(ctx.connected, ctx.signal.aborted), result: { ok: tally.failures.length === 0 } };
}

export async function get(ctx: Context, args: string[]): Promise<CommandResult> {
  usage(args.length < 2, 'get needs URL... LOCAL');
  const local = args[args.length - 1] as string;
  const targets = args.slice(0, -1).map((a) => ctx.target(a));
  const first = targets[0];
  if (first === undefined) throw new Error('unreachable');
  usage(
    targets.some((t) => t.origin !== first.origin),
    'get: all URLs must name the same server',
  );
  const localIsDir = local.endsWith('/') || local.endsWith(path.sep) || (await localKind(local)) === 'directory';
  usage(targets.length > 1 && !localIsDir, `get with several URLs needs an existing folder as LOCAL, not ${local}`);
  const tally = new Tally();
  const pool = await ctx.pool(first);
  try {
    if (ctx.flags.recursive) {
      const totals = new CommandTotals();
      for (const t of targets) {
        const dest = localIsDir ? path.join(local, path.posix.basename(t.path) || 'root') : local;
        const view = new TreeView(ctx, false, dest, t.path, totals);
        const result = await pool.downloadDir(t.path, dest, treeOptions(ctx, view));
        view.end();
        reportTree(ctx, 'get', result, view, tally);
      }
    } else {
      const jobs = targets.map((t) => ({
        remote: t.path,
        local: localIsDir ? path.join(local, path.posix.basename(t.path)) : local,
        size: undefined,
      }));
      await runJobs(ctx, pool, jobs, 'get', tally);
    }
  } catch (err) {
    tally.failures.push(err);
    if (!ctx.signal.aborted) ctx.reporter.failed(first.path, err);
  } finally {
    await pool.close({ signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  }
  return { code: tally.exitCode(ctx.connected, ctx.signal.aborted), result: { ok: tally.failures.length === 0 } };
}

export function retries(ctx: Context): { retries?: number } {
  return ctx.flags.retries === undefined ? {} : { retries: ctx.flags.retries };
}
