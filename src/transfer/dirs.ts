// Folder operations built from several commands: mkdir -p (session/files.ts) and recursive removal.
import { TreeTooDeepError } from '../errors.js';
import { joinRemotePath } from '../protocol/paths.js';
import { removeFile, removeFolder } from '../session/files.js';
import type { Session } from '../session/session.js';
import { listAll } from './listing.js';
import { unsafeNameReason } from './safe-path.js';

export { ensureDir } from '../session/files.js';

/** How deep recursive remote walks go (downloadDir's scan, removeDir): deeper is a loop or a hostile server. */
export const MAX_TREE_DEPTH = 64;

/**
 * Removes a folder; with `recursive`, everything in it first. Symlinks are deleted, never followed.
 * The listing is read completely before any delete, since one connection cannot list and delete at once.
 * Listed names are untrusted: one that is not a plain name (`..`, `/`, `\`, a drive letter… see
 * unsafeNameReason) is left alone, so the final RMD reports the folder as not empty. A server whose
 * folders go on forever (every folder lists a subfolder) stops the walk at MAX_TREE_DEPTH levels,
 * or sooner where MLSD `unique` facts show a folder inside itself: TreeTooDeepError, and nothing
 * below that point is touched. Each listing is capped by `maxListEntries`.
 */
export async function removeDir(
  session: Session,
  path: string,
  recursive: boolean,
  signal?: AbortSignal,
): Promise<void> {
  if (recursive) await removeContent(session, path, 0, new Set(), signal);
  await removeFolder(session, path);
}

async function removeContent(
  session: Session,
  path: string,
  level: number,
  ancestors: ReadonlySet<string>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (level >= MAX_TREE_DEPTH)
    throw new TreeTooDeepError(
      path,
      `Refusing to remove ${JSON.stringify(path)}: deeper than ${MAX_TREE_DEPTH} levels (a loop on the server?)`,
    );
  for (const entry of await listAll(session, path, signal)) {
    // No trustworthy name (e.g. `a\..\..\x`, which a Windows-backed server would resolve outside
    // the folder): not touched; RMD below reports the folder not empty. The checks that hold on
    // every platform ('linux'): the name goes to the server, not to the local file system.
    if (entry.type === 'unknown' || unsafeNameReason(entry.name, 'linux') !== undefined) continue;
    const child = joinRemotePath(path, entry.name);
    if (entry.type !== 'directory') {
      await removeFile(session, child);
      continue;
    }
    if (entry.unique !== undefined && ancestors.has(entry.unique)) {
      throw new TreeTooDeepError(
        child,
        `Refusing to remove ${JSON.stringify(child)}: the server lists it as one of its own parent folders (MLSD unique ${JSON.stringify(entry.unique)})`,
      );
    }
    const inner = entry.unique === undefined ? ancestors : new Set([...ancestors, entry.unique]);
    await removeContent(session, child, level + 1, inner, signal);
    await removeFolder(session, child);
  }
}
