/**
 * Error branding: `instanceof` works across two copies of ftps-client (two installs, or bundled and
 * installed). errors.ts is a leaf module, so two byte-identical copies of it in separate folders are
 * two copies of the package's error classes, with separate class identities.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';

type Errors = typeof import('../../src/errors.js');
const dir = mkdtempSync(join(tmpdir(), 'ftps-brand-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function copy(name: string): Promise<Errors> {
  mkdirSync(join(dir, name));
  const file = join(dir, name, 'errors.ts');
  copyFileSync(new URL('../../src/errors.ts', import.meta.url), file);
  return (await import(pathToFileURL(file).href)) as Errors;
}

const a = await copy('a');
const b = await copy('b');

test('the two copies are distinct classes (the test would notice a shared module)', () => {
  assert.notEqual(a.TlsError, b.TlsError);
  assert.equal(Object.getPrototypeOf(new a.TlsError('x')) === b.TlsError.prototype, false);
});

test('instanceof across copies, both ways, along the class chain', () => {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const pin = new x.TlsPinError('the server', ['sha256/AAAA'], 'sha256/BBBB');
    assert.ok(pin instanceof y.TlsPinError);
    assert.ok(pin instanceof y.TlsError);
    assert.ok(pin instanceof y.FtpsError);
    assert.ok(pin instanceof Error);
    assert.equal(pin instanceof y.ConnectionError, false);
    assert.equal(pin instanceof y.ReplyTimeoutError, false);
    const reply = new x.FtpReplyError(550, 'No such file', 'RETR /x');
    assert.ok(reply instanceof y.FtpReplyError && reply instanceof y.FtpsError);
    assert.equal(reply instanceof y.TlsError, false);
    assert.equal(reply.code, 'ERR_FTPS_REPLY');
  }
});

test('values that are not ftps-client errors are not instances', () => {
  for (const v of [
    null,
    undefined,
    0,
    'ERR_FTPS_TLS',
    {},
    new Error('x'),
    { code: 'ERR_FTPS_TLS', name: 'TlsError' },
    Object.assign(new Error('x'), { code: 'ERR_FTPS_TLS' }),
  ]) {
    assert.equal(v instanceof a.FtpsError, false, String(v));
    assert.equal(v instanceof a.TlsError, false, String(v));
  }
});

test('the brand is not enumerable: errors still compare and print as before', () => {
  const e = new a.ProtocolError('bad reply');
  assert.deepEqual(
    Object.getOwnPropertySymbols(e).map((s) => Object.getOwnPropertyDescriptor(e, s)?.enumerable),
    [false],
  );
  assert.equal(e.name, 'ProtocolError');
});
