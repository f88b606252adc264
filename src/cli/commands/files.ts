// ls, rm, mkdir, mv: one connection, one command each.
import type { FileInfo, FtpsClient } from '../../index.js';
import type { Context } from '../context.js';
import { isUrl, remoteJoin, type Target } from '../target.js';
import { Tally, usage, type CommandResult } from './tally.js';

async function withClient<T>(ctx: Context, target: Target, fn: (client: FtpsClient) => Promise<T>): Promise<T> {
  const client = await ctx.connect(target);
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

const TYPE_CHAR: Record<FileInfo['type'], string> = { file: '-', directory: 'd', symlink: 'l', unknown: '?' };

function longLine(e: FileInfo): string {
  const perms = e.permissions !== undefined && /^[rwxsStT-]{9}$/.test(e.permissions) ? e.permissions : '---------';
  const size = String(e.size ?? '-').padStart(12);
  const date =
    e.modifiedAt === undefined ? '                ' : e.modifiedAt.toISOString().slice(0, 16).replace('T', ' ');
  const name = e.type === 'unknown' ? e.raw : e.target === undefined ? e.name : `${e.name} -> ${e.target}`;
  return `${TYPE_CHAR[e.type]}${perms} ${size} ${date} ${name}`;
}

function jsonEntry(e: FileInfo): Record<string, unknown> {
  return {
    name: e.name,
    type: e.type,
    size: e.size ?? null,
    modifiedAt: e.modifiedAt?.toISOString() ?? null,
    ...(e.permissions === undefined ? {} : { permissions: e.permissions }),
    ...(e.target === undefined ? {} : { target: e.target }),
    ...(e.type === 'unknown' ? { raw: e.raw } : {}),
  };
}

export async function ls(ctx: Context, args: string[]): Promise<CommandResult> {
  usage(args.length !== 1, 'ls needs one URL');
  const target = ctx.target(args[0] as string);
  const entries = await withClient(ctx, target, (c) => c.list(target.path, { signal: ctx.signal }));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries)
    ctx.reporter.print(ctx.flags.long ? longLine(e) : e.type === 'directory' ? `${e.name}/` : e.name || e.raw);
  return { code: 0, result: { ok: true, path: target.path, entries: entries.map(jsonEntry) } };
}

export async function rm(ctx: Context, args: string[]): Promise<CommandResult> {
  usage(args.length < 1, 'rm needs URL...');
  const targets = args.map((a) => ctx.target(a));
  const first = targets[0] as Target;
  usage(
    targets.some((t) => t.origin !== first.origin),
    'rm: all URLs must name the same server',
  );
  const tally = new Tally();
  await withClient(ctx, first, async (client) => {
    for (const t of targets) {
      try {
        if (ctx.flags.recursive) {
          const info = await client.stat(t.path, { signal: ctx.signal });
          if (info.type === 'directory') await client.removeDir(t.path, { recursive: true, signal: ctx.signal });
          else await client.remove(t.path, { signal: ctx.signal });
        } else await client.remove(t.path, { signal: ctx.signal });
        tally.ok++;
        ctx.reporter.done({ op: 'rm', remote: t.path });
      } catch (err) {
        tally.failures.push(err);
        if (ctx.signal.aborted) throw err;
        ctx.reporter.failed(t.path, err);
      }
    }
  });
  return { code: tally.exitCode(ctx.connected, ctx.signal.aborted), result: { ok: tally.failures.length === 0 } };
}

export async function mkdir(ctx: Context, args: string[]): Promise<CommandResult> {
  usage(args.length < 1, 'mkdir needs URL...');
  const targets = args.map((a) => ctx.target(a));
  const first = targets[0] as Target;
  usage(
    targets.some((t) => t.origin !== first.origin),
    'mkdir: all URLs must name the same server',
  );
  const tally = new Tally();
  await withClient(ctx, first, async (client) => {
    for (const t of targets) {
      try {
        if (ctx.flags.parents) await client.ensureDir(t.path, { signal: ctx.signal });
        else await client.mkdir(t.path, { signal: ctx.signal });
        tally.ok++;
        ctx.reporter.done({ op: 'mkdir', remote: t.path });
      } catch (err) {
        tally.failures.push(err);
        if (ctx.signal.aborted) throw err;
        ctx.reporter.failed(t.path, err);
      }
    }
  });
  return { code: tally.exitCode(ctx.connected, ctx.signal.aborted), result: { ok: tally.failures.length === 0 } };
}

export async function mv(ctx: Context, args: string[]): Promise<CommandResult> {
  usage(args.length !== 2, 'mv needs URL NEWPATH');
  const from = ctx.target(args[0] as string);
  const toArg = args[1] as string;
  let to: string;
  if (isUrl(toArg)) {
    const t = ctx.target(toArg);
    usage(t.origin !== from.origin, 'mv: both URLs must name the same server');
    to = t.isDir ? remoteJoin(t.path, from.path.split('/').pop() ?? '') : t.path;
  } else {
    // A relative NEWPATH is taken in the folder of the source, like a rename.
    const dir = from.path.slice(0, from.path.lastIndexOf('/')) || '/';
    to = toArg.startsWith('/') ? toArg : remoteJoin(dir, toArg);
  }
  await withClient(ctx, from, (c) => c.rename(from.path, to, { signal: ctx.signal }));
  ctx.reporter.done({ op: 'mv', local: from.path, remote: to });
  return { code: 0, result: { ok: true, from: from.path, to } };
}
