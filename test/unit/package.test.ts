// The built package as users load it: ESM import and require() (Node >= 20.19) of dist/, with types.
// `npm test` builds first.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>;
  dependencies: Record<string, string>;
};

test('exports point at built files with declarations', () => {
  const main = pkg.exports['.'];
  assert.ok(main !== undefined);
  assert.ok(
    existsSync(new URL(`../../${main.default}`, import.meta.url)),
    `${main.default} exists (run npm run build)`,
  );
  assert.ok(existsSync(new URL(`../../${main.types}`, import.meta.url)), `${main.types} exists`);
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['debug', 'p-queue']);
});

test('import and require() both load the package by name', () => {
  const esm = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('ftps-client'); console.log(typeof m.FtpsClient, typeof m.FtpsError)",
    ],
    { encoding: 'utf8' },
  );
  assert.equal(esm.trim(), 'function function');
  const cjs = execFileSync(
    process.execPath,
    ['-e', "const m = require('ftps-client'); console.log(typeof m.FtpsClient, new m.TlsError('x').code)"],
    { encoding: 'utf8' },
  );
  assert.equal(cjs.trim(), 'function ERR_FTPS_TLS');
});
