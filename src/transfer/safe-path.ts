// Names from a remote listing are untrusted input: a server (or whoever can create files on it)
// chooses them. Before a name becomes part of a local path (downloads) or of a remote path that
// will be deleted (mirror --delete), it must be one plain path segment that stays inside the
// target folder. Local destinations must not lead out of the target through a symlink either.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { UnsafePathError } from '../errors.js';

/**
 * Why `name` cannot be used as one path segment, or undefined when it can. Refused: empty, `.`,
 * `..`, anything with `/`, `\`, NUL, CR or LF, and a Windows drive prefix (`C:`), on every platform,
 * so that a listing is treated the same everywhere. On Windows also reserved device names and
 * names ending in a dot or a space (Windows would silently rewrite them).
 */
export function unsafeNameReason(name: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (name === '') return 'the name is empty';
  if (name === '.' || name === '..') return `"${name}" is not a name`;
  if (name.includes('/')) return 'it contains "/"';
  if (name.includes('\\')) return 'it contains "\\"';
  if (name.includes('\0')) return 'it contains NUL';
  if (/[\r\n]/.test(name)) return 'it contains CR or LF';
  if (/^[A-Za-z]:/.test(name)) return 'it starts with a drive letter';
  if (platform === 'win32') {
    if (/[<>:"|?*]/.test(name) || [...name].some((c) => c.charCodeAt(0) < 0x20))
      return 'it contains a character Windows does not allow in names';
    if (/[. ]$/.test(name)) return 'it ends with a dot or a space';
    if (/^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i.test(name))
      return 'it is a reserved device name on Windows';
  }
  return undefined;
}

/** Throws UnsafePathError unless `name` is one safe path segment (see unsafeNameReason). */
export function assertSafeName(name: string, where: string): void {
  const reason = unsafeNameReason(name);
  if (reason !== undefined) {
    throw new UnsafePathError(
      name,
      `Refusing the name ${JSON.stringify(name)} listed in ${where}: ${reason}, so it could land outside the target folder`,
    );
  }
}

/**
 * Joins `root` and already-checked segments into a local path, and checks once more (belt and
 * braces) that the result is inside `root`.
 */
export function localPathInside(root: string, segments: readonly string[]): string {
  const base = path.resolve(root);
  const joined = path.resolve(base, ...segments);
  const rel = path.relative(base, joined);
  // `..foo` is a legal name inside root; only `..` itself or `../…` leads out.
  const outside = rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
  if (rel === '' ? segments.length > 0 : outside) {
    throw new UnsafePathError(
      segments.join('/'),
      `Refusing ${JSON.stringify(segments.join('/'))}: it resolves outside ${base}`,
    );
  }
  return joined;
}

/**
 * Checks that no existing component of `target` below `root` is a symlink (or something other than
 * a folder, for the parents), so that writing `target` cannot end up outside `root`. Missing
 * components are fine (they will be created as folders). `root` itself may be a symlink: the
 * caller chose it.
 */
export async function assertNoSymlinkBelow(root: string, target: string): Promise<void> {
  const base = path.resolve(root);
  const rel = path.relative(base, path.resolve(target));
  if (rel === '') return;
  const parts = rel.split(path.sep);
  let current = base;
  for (let i = 0; i < parts.length; i++) {
    current = path.join(current, parts[i] as string);
    const st = await lstat(current).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st === undefined) return;
    if (st.isSymbolicLink()) {
      throw new UnsafePathError(
        rel,
        `Refusing to write ${JSON.stringify(path.resolve(target))}: ${JSON.stringify(current)} is a symlink (pass followSymlinks: true to allow it)`,
      );
    }
    if (i < parts.length - 1 && !st.isDirectory()) {
      throw new UnsafePathError(
        rel,
        `Cannot write ${JSON.stringify(path.resolve(target))}: ${JSON.stringify(current)} is not a folder`,
      );
    }
  }
}
