// A local folder tree as a sorted list of paths, for comparing trees in tests.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every path below `dir`, folders with a trailing '/'. */
export function listTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}${d.name}`;
    if (d.isDirectory()) out.push(`${rel}/`, ...listTree(join(dir, d.name), `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}
