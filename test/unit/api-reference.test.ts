// docs/api/ is generated from the TSDoc comments (`npm run docs:api`, TypeDoc with its Markdown plugin);
// this regenerates it into a scratch folder and compares, so a comment changed without regenerating
// fails here, before it lands. TypeDoc itself fails on an export or member without a comment
// (validation.notDocumented, treatWarningsAsErrors in typedoc.json).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const checkedIn = join(root, 'docs/api');
const STALE = 'docs/api/ is not what the TSDoc comments generate: run `npm run docs:api` and commit docs/api/';

/** Every file under `dir`, by path relative to it. */
function files(dir: string, base = dir): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) for (const [k, v] of files(path, base)) out.set(k, v);
    else out.set(relative(base, path), readFileSync(path, 'utf8'));
  }
  return out;
}

test(
  'docs/api/ is current: regenerating it from the TSDoc comments changes nothing',
  { timeout: 120_000 },
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'ftps-docs-api-'));
    try {
      const typedoc = join(root, 'node_modules/typedoc/bin/typedoc');
      assert.ok(existsSync(typedoc), 'TypeDoc is not installed: run `npm ci` (it is a devDependency)');
      const run = await promisify(execFile)(process.execPath, [typedoc, '--out', out], {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1' },
      }).catch((err: { stdout?: string; stderr?: string; code?: unknown }) => err);
      assert.ok(
        !('code' in run) || run.code === undefined,
        `TypeDoc failed (an undocumented export or member?):\n${run.stdout ?? ''}${run.stderr ?? ''}`,
      );
      const fresh = files(out);
      const old = files(checkedIn);
      assert.deepEqual([...old.keys()].sort(), [...fresh.keys()].sort(), STALE);
      for (const [path, text] of fresh) assert.equal(old.get(path), text, `${STALE} (${path} differs)`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
