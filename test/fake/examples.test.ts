// Every program in examples/ runs as documented: against a server started by test/helpers/run-example.ts,
// importing ftps-client by package name (the build in dist/, as `npm test` makes it), and reports success.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url);
const EXAMPLES: Record<string, RegExp> = {
  'demo.ts': /IMPLICIT[\s\S]*Demo passed[\s\S]*EXPLICIT[\s\S]*Demo passed/,
  'backup-upload.ts': /attempt 1 failed[\s\S]*size verified: true[\s\S]*server copy is byte-identical/,
  'mirror.ts': /second mirror: 0 copied, 40 up to date, 0 deleted, 0 failed/,
  'pool.ts': /downloaded 12 files, 12 byte-identical[\s\S]*Pool example passed/,
  'object-storage.ts': /Round trip is byte-identical/,
  'abort-timeout.ts': /aborted after \d+ ms with 65536 B received: gave up after 1000 ms[\s\S]*client still usable/,
};

test('every example has a run here, and none reaches into the project', () => {
  const files = readdirSync(new URL('examples/', root)).filter((f) => f.endsWith('.ts'));
  // *.test.ts files are example test suites (ftps-client/testing), run by their own test.
  assert.deepEqual(files.filter((f) => !f.endsWith('.test.ts')).sort(), Object.keys(EXAMPLES).sort());
  for (const f of files) {
    const imports = [...readFileSync(new URL(`examples/${f}`, root), 'utf8').matchAll(/from '([^']+)'/g)].map(
      (m) => m[1],
    );
    for (const spec of imports)
      assert.match(
        spec ?? '',
        /^(node:|ftps-client$|ftps-client\/testing$)/,
        `${f} imports ${spec}: examples use only node: and ftps-client`,
      );
  }
});

for (const [file, success] of Object.entries(EXAMPLES)) {
  test(`examples/${file} runs and succeeds`, { timeout: 90_000 }, async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/run-example.ts', `examples/${file}`],
      { cwd: root, timeout: 85_000 },
    );
    assert.match(stdout, success, stdout);
  });
}
