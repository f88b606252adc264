/**
 * `import 'ftps-client'` must not load `ftps-client/testing` (a test server in production code) nor the
 * CLI: walks the static and dynamic import graph of src/index.ts and fails on any module under
 * src/testing/ or src/cli/.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IMPORT = /(?:import|export)\s[^;]*?from\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)|^import\s*'(\.[^']+)'/gm;

function graph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      const target = join(dirname(file), spec.replace(/\.js$/, '.ts'));
      assert.ok(existsSync(target), `${relative(SRC, file)} imports ${spec}, which does not exist`);
      todo.push(target);
    }
  }
  return seen;
}

test("import 'ftps-client' loads neither src/testing/ nor src/cli/", () => {
  const modules = [...graph(join(SRC, 'index.ts'))].map((f) => relative(SRC, f));
  assert.ok(modules.length > 10 && modules.includes('client.ts'), 'the walk found the client');
  assert.deepEqual(
    modules.filter((m) => m.startsWith('testing/') || m.startsWith('cli/')),
    [],
  );
});

test('the walk would notice: src/testing/index.ts does reach src/testing/server.ts', () => {
  const modules = [...graph(join(SRC, 'testing', 'index.ts'))].map((f) => relative(SRC, f));
  assert.ok(modules.includes('testing/server.ts') && modules.includes('testing/certs.ts'));
});
