// Step 1 of a tree run: scanning a local or a remote folder into a flat map of relative paths.
// Every remote name is checked before it becomes part of a path; remote folders are listed in
// parallel on the runner.
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { FtpReplyError, ListingTooLargeError, TreeTooDeepError, UnsafePathError } from '../errors.js';
import { MAX_TREE_DEPTH } from './dirs.js';
import type { FileInfo } from '../protocol/listing/index.js';
import { joinRemotePath } from '../protocol/paths.js';
import { assertSafeName } from './safe-path.js';
import {
  DEFAULT_MAX_TREE_ENTRIES,
  depth,
  relJoin,
  treeItem,
  type Node,
  type Run,
  type Scan,
  type TreeEntry,
  type TreeItem,
} from './tree-types.js';

function entryFor(node: Node, side: 'local' | 'remote'): TreeEntry {
  const entry: TreeEntry = {
    path: node.rel,
    name: node.rel.slice(node.rel.lastIndexOf('/') + 1),
    type: node.type,
    side,
  };
  if (node.size !== undefined) entry.size = node.size;
  if (node.modifiedAt !== undefined) entry.modifiedAt = node.modifiedAt;
  return entry;
}

/** The record of a symlink the scan left out (not followed, broken, a loop). */
function skippedSymlink(rel: string, reason: string): TreeItem {
  return treeItem({ path: rel, type: 'symlink', action: 'skip', status: 'skipped', reason });
}

/** The record of a folder below the root that could not be read or listed: the rest of the scan goes on. */
function unreadableFolder(rel: string, reason: string, error: unknown): TreeItem {
  return treeItem({ path: rel, type: 'directory', action: 'copy', status: 'failed', reason, error });
}

function included(run: Run, node: Node, side: 'local' | 'remote'): boolean {
  return run.options.filter === undefined || run.options.filter(entryFor(node, side));
}

/** Walks a local folder. Symlinks are skipped (and reported) unless followSymlinks; cycles are cut. */
export async function scanLocal(run: Run, root: string, reportSkips: boolean): Promise<Scan> {
  const scan: Scan = new Map();
  const follow = run.options.followSymlinks === true;
  const walk = async (dir: string, rel: string, ancestors: Set<string>): Promise<void> => {
    run.signal.throwIfAborted();
    let dirents;
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (rel === '') throw err;
      run.items.push(unreadableFolder(rel, 'cannot read the folder', err));
      return;
    }
    for (const d of dirents) {
      const childRel = relJoin(rel, d.name);
      const abs = path.join(dir, d.name);
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      if (d.isSymbolicLink()) {
        if (!follow) {
          if (reportSkips) run.items.push(skippedSymlink(childRel, 'symlink not followed'));
          continue;
        }
        const target = await stat(abs).catch(() => undefined);
        if (target === undefined) {
          if (reportSkips) run.items.push(skippedSymlink(childRel, 'broken symlink'));
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
          if (reportSkips) run.items.push(skippedSymlink(childRel, 'symlink loop'));
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
 * Walks a remote folder on the runner, listing folders in parallel. Unsafe names are refused (and
 * reported), unparseable lines and symlinks skipped (followed with followSymlinks: a symlink that
 * SIZE answers is a file, else it is listed as a folder, up to a depth limit).
 */
export async function scanRemote(
  run: Run,
  root: string,
  reportSkips: boolean,
  reportRefused: boolean,
  missingIsEmpty: boolean,
): Promise<Scan> {
  const scan: Scan = new Map();
  const follow = run.options.followSymlinks === true;
  const maxEntries = run.options.maxEntries ?? DEFAULT_MAX_TREE_ENTRIES;
  let seen = 0;
  const listOptions = { signal: run.signal, retries: run.retries };
  const walk = async (rel: string): Promise<void> => {
    const dir = rel === '' ? root : joinRemotePath(root, rel);
    let entries: FileInfo[];
    try {
      entries = await run.runner.list(dir, listOptions);
    } catch (err) {
      if (rel === '') {
        if (missingIsEmpty && err instanceof FtpReplyError && (err.replyCode === 550 || err.replyCode === 450)) return;
        throw err;
      }
      if (run.signal.aborted) throw err;
      run.items.push(unreadableFolder(rel, 'cannot list the folder', err));
      return;
    }
    seen += entries.length;
    if (seen > maxEntries) {
      throw new ListingTooLargeError(
        root,
        maxEntries,
        `The remote tree ${JSON.stringify(root)} has more than ${maxEntries} entries (tree option "maxEntries"); nothing was copied or deleted`,
      );
    }
    const subdirs: Promise<void>[] = [];
    for (const e of entries) {
      if (e.type === 'unknown') {
        // The parsers turn names with "/" or NUL, and lines they cannot read, into 'unknown'.
        const reason = `Refusing a listing line of ${JSON.stringify(dir)} that does not name an entry safely: ${JSON.stringify(e.raw)}`;
        if (reportRefused)
          run.items.push(
            treeItem({
              path: relJoin(rel, '?'),
              type: 'unknown',
              action: 'skip',
              status: 'failed',
              reason,
              error: new UnsafePathError(e.raw, reason),
            }),
          );
        continue;
      }
      try {
        assertSafeName(e.name, JSON.stringify(dir));
      } catch (err) {
        if (reportRefused)
          run.items.push(
            treeItem({
              path: relJoin(rel, e.name),
              type: e.type,
              action: 'skip',
              status: 'failed',
              reason: (err as Error).message,
              error: err,
            }),
          );
        continue;
      }
      const childRel = relJoin(rel, e.name);
      let type = e.type;
      let info: FileInfo = e;
      if (type === 'symlink') {
        if (!follow) {
          if (reportSkips) run.items.push(skippedSymlink(childRel, 'symlink not followed'));
          continue;
        }
        const target = joinRemotePath(root, childRel);
        const size = await run.runner.size(target, listOptions).catch(() => undefined);
        if (size !== undefined) {
          type = 'file';
          info = { ...e, size };
        } else type = 'directory';
      }
      if (type === 'directory') {
        const node: Node = { rel: childRel, type: 'directory' };
        if (!included(run, node, 'remote')) continue;
        if (depth(childRel) > MAX_TREE_DEPTH) {
          const reason = `deeper than ${MAX_TREE_DEPTH} levels (symlink loop?)`;
          run.items.push(
            treeItem({
              path: childRel,
              type: 'directory',
              action: 'skip',
              status: 'failed',
              reason,
              error: new TreeTooDeepError(childRel, `${JSON.stringify(childRel)} is ${reason}`),
            }),
          );
          continue;
        }
        scan.set(childRel, node);
        subdirs.push(walk(childRel));
      } else {
        const node: Node = {
          rel: childRel,
          type: 'file',
          size: info.size,
          modifiedAt: info.modifiedAt,
          modifiedPrecision: info.modifiedPrecision,
        };
        if (included(run, node, 'remote')) scan.set(childRel, node);
      }
    }
    const settled = await Promise.allSettled(subdirs);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  };
  await walk('');
  return scan;
}
