// The examples run as documented (each against a server it starts itself) and report success.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EXAMPLES: [file: string, success: RegExp][] = [
  ['examples/demo.ts', /Demo passed: implicit and explicit FTPS/],
  ['examples/backup-upload.ts', /size verified: true[\s\S]*server copy is byte-identical/],
  ['examples/mirror.ts', /second mirror: 0 copied, 40 up to date, 0 deleted, 0 failed/],
];

for (const [file, success] of EXAMPLES) {
  test(`${file} runs and succeeds`, { timeout: 60_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: new URL('../..', import.meta.url), timeout: 55_000 });
    assert.match(stdout, success, stdout);
  });
}
