// Step 2 of a tree run: from the scanned sides, what to create, copy and delete.
import { UnsafePathError } from '../errors.js';
import { localUpToDate, remoteUpToDate } from './up-to-date.js';
import { depth, treeItem, type Node, type Run, type Scan } from './tree-types.js';

export interface Plan {
  mkdir: Node[];
  copy: Node[];
  /** Destination entries to delete before copying (a file where a folder must go, or the reverse). */
  replace: Node[];
  /** Extraneous destination entries (mirror with delete). */
  remove: Node[];
}

export interface Sides {
  direction: 'upload' | 'download';
  local: string;
  remote: string;
  /** Compare with the destination (mirror) instead of copying everything. */
  compare: boolean;
  delete: boolean;
}

/**
 * Whether local names that differ only in case (or in Unicode normalization) name the same file:
 * the default file systems of macOS (APFS, HFS+) and Windows (NTFS). A case-sensitive volume there
 * is treated the same way (a refused name too many, never a file overwritten).
 */
export function localNamesFoldCase(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'darwin' || platform === 'win32';
}

const folded = (rel: string): string => rel.normalize('NFC').toLowerCase();

/**
 * The plan. With `foldCase` (downloads to a case-insensitive local file system), remote entries
 * whose paths differ only in case would land in the same local file or folder: the first one in
 * path order is kept, the others are refused (reported as failed, with an UnsafePathError) along
 * with everything inside them, and destination entries are matched to the source ignoring case (so
 * that mirror never deletes the file it has just written under another spelling).
 */
export function makePlan(run: Run, sides: Sides, source: Scan, dest: Scan | undefined, foldCase = false): Plan {
  const plan: Plan = { mkdir: [], copy: [], replace: [], remove: [] };
  const upToDate = sides.direction === 'upload' ? remoteUpToDate : localUpToDate;
  const fold = foldCase && sides.direction === 'download';
  /** Folded path → the source path that owns it. */
  const owners = new Map<string, string>();
  const refusedDirs: string[] = [];
  const destFolded = new Map<string, Node>();
  if (fold && dest !== undefined) for (const node of dest.values()) destFolded.set(folded(node.rel), node);
  const nodes = fold
    ? [...source.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
    : source.values();
  for (const node of nodes) {
    if (fold) {
      if (refusedDirs.some((d) => node.rel.startsWith(`${d}/`))) continue;
      const key = folded(node.rel);
      const owner = owners.get(key);
      if (owner !== undefined) {
        const reason = `Refusing ${JSON.stringify(node.rel)}: on this case-insensitive local file system it is the same ${node.type === 'directory' ? 'folder' : 'file'} as ${JSON.stringify(owner)}`;
        run.items.push(
          treeItem({
            path: node.rel,
            type: node.type,
            action: 'skip',
            status: 'failed',
            reason,
            error: new UnsafePathError(node.rel, reason),
          }),
        );
        if (node.type === 'directory') refusedDirs.push(node.rel);
        continue;
      }
      owners.set(key, node.rel);
    }
    const existing = dest?.get(node.rel) ?? (fold ? destFolded.get(folded(node.rel)) : undefined);
    // A file where a folder must go (or the reverse) is deleted first, with `delete` only; without
    // it the copy fails on the entry in the way and says so.
    if (existing !== undefined && existing.type !== node.type && sides.delete) plan.replace.push(existing);
    if (node.type === 'directory') {
      if (existing === undefined || existing.type !== 'directory') plan.mkdir.push(node);
      continue;
    }
    if (sides.compare && existing?.type === 'file' && upToDate(node, existing)) {
      run.items.push(
        treeItem({
          path: node.rel,
          type: 'file',
          action: 'skip',
          status: 'skipped',
          reason: 'up to date',
        }),
      );
      continue;
    }
    plan.copy.push(node);
  }
  if (sides.delete && dest !== undefined) {
    for (const node of dest.values()) {
      if (source.has(node.rel) || (fold && owners.has(folded(node.rel)))) continue;
      // Inside a folder that is deleted as a whole: covered by that folder.
      plan.remove.push(node);
    }
  }
  plan.mkdir.sort((a, b) => depth(a.rel) - depth(b.rel) || a.rel.localeCompare(b.rel));
  return plan;
}
