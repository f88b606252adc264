// mirror LOCAL URL (upload), mirror --reverse URL LOCAL (download); --delete, --dry-run.
import type { TreeResult } from '../../index.js';
import type { Context } from '../context.js';
import { isUrl } from '../target.js';
import { treeOptions } from './transfer.js';
import { TreeView } from './tree-view.js';
import { Tally, usage, type CommandResult } from './tally.js';

/** Reports the run's entries (but the copies `view` showed already) and counts them into `tally`. */
function report(ctx: Context, result: TreeResult, view: TreeView, upload: boolean, tally: Tally): void {
  for (const item of result.items) {
    const l = view.localPath(item.path);
    const r = view.remotePath(item.path);
    if (item.status === 'failed') {
      const err = item.error ?? new Error(item.reason ?? 'failed');
      tally.failures.push(err);
      ctx.reporter.failed(view.label(item.path), err);
      continue;
    }
    if (item.status === 'cancelled') {
      tally.failures.push(ctx.signal.reason ?? new Error('cancelled'));
      continue;
    }
    if (item.action === 'skip' || (item.action === 'mkdir' && item.status !== 'planned')) continue;
    tally.ok++;
    if (item.action === 'copy' && view.shown(item.path)) continue;
    const op = item.action === 'delete' ? 'delete' : item.action === 'mkdir' ? 'mkdir' : upload ? 'put' : 'get';
    const outcome = {
      op,
      local: l,
      remote: r,
      ...(item.action === 'copy' ? { bytes: item.bytes } : {}),
      ...(item.status === 'planned' ? { note: 'dry run' } : {}),
    } as const;
    if (item.action === 'delete')
      ctx.reporter.done({ op, remote: upload ? r : l, ...(item.status === 'planned' ? { note: 'dry run' } : {}) });
    else ctx.reporter.done(outcome);
  }
}

export async function mirror(ctx: Context, args: string[]): Promise<CommandResult> {
  usage(args.length !== 2, 'mirror needs LOCAL URL (or, with --reverse, URL LOCAL)');
  const urlArg = args.find(isUrl);
  const localArg = args.find((a) => !isUrl(a));
  usage(urlArg === undefined || localArg === undefined, 'mirror needs one local folder and one URL');
  const target = ctx.target(urlArg as string);
  const local = localArg as string;
  const upload = !ctx.flags.reverse;
  const tally = new Tally();
  const pool = await ctx.pool(target);
  let result: TreeResult | undefined;
  const view = new TreeView(ctx, upload, local, target.path);
  try {
    result = await pool.mirror({
      direction: upload ? 'upload' : 'download',
      local,
      remote: target.path,
      delete: ctx.flags.delete,
      dryRun: ctx.flags.dryRun,
      ...treeOptions(ctx, view),
    });
    report(ctx, result, view, upload, tally);
  } catch (err) {
    tally.failures.push(err);
    if (!ctx.signal.aborted) ctx.reporter.failed(upload ? local : target.path, err);
  } finally {
    await pool.close({ signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  }
  const summary =
    result === undefined ? {} : { dryRun: result.dryRun, plan: result.plan, counts: result.files, bytes: result.bytes };
  return {
    code: tally.exitCode(ctx.connected, ctx.signal.aborted),
    result: { ok: tally.failures.length === 0, ...summary },
  };
}
