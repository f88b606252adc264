/**
 * Opt-ins for special networks and old servers: PROT C (dataProtection: 'clear') and AUTH SSL
 * (auth: 'SSL' | 'TLS-then-SSL'). The password never travels in clear text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FtpReplyError, TlsError } from '../../src/index.js';
import { faults } from '../helpers/fake-server.js';
import { assertFtpsError, assertNoLogin, LIMIT, rejection, Sink, verbs, withServer } from './support.js';

for (const mode of ['explicit', 'implicit'] as const) {
  test(`dataProtection 'clear': PROT C, data in clear text, control still TLS (${mode})`, LIMIT, async () => {
    await withServer({ mode, allowClearData: true, files: { '/f.txt': 'clear data' } }, async ({ server, connect }) => {
      const client = await connect({ dataProtection: 'clear' });
      const sink = new Sink();
      const down = await client.download('/f.txt', sink);
      assert.equal(sink.bytes.toString(), 'clear data');
      assert.equal(down.tlsSessionReused, undefined, 'no TLS on the data connection');
      const up = await client.upload(Buffer.from('up'), '/u.txt');
      assert.equal(up.tlsSessionReused, undefined);
      assert.equal(server.fs.files.get('/u.txt')?.toString(), 'up');
      assert.deepEqual(server.dataReuse, [], 'the server saw no data TLS handshake');
      assert.ok(server.commands.includes('PROT C') && !server.commands.includes('PROT P'));
      assert.ok(
        server.log.filter((e) => /^(USER|PASS)\b/.test(e.line)).every((e) => e.secure),
        'login under TLS',
      );
      assert.ok(client.tls !== undefined);
    });
  });
}

test('PROT C refused → TlsError, no transfer attempted', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('PROT', faults.reply('534 Clear data connections not allowed.'));
    const err = assertFtpsError(await rejection(connect({ dataProtection: 'clear' })), TlsError, 'ERR_FTPS_TLS');
    assert.ok(err.cause instanceof FtpReplyError && err.cause.replyCode === 534);
    assert.match(err.message, /PROT C/);
  });
});

test("auth 'SSL': AUTH SSL, then the usual TLS session", LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f.txt': 'legacy' } }, async ({ server, connect }) => {
    const client = await connect({ auth: 'SSL' });
    const sink = new Sink();
    await client.download('/f.txt', sink);
    assert.equal(sink.bytes.toString(), 'legacy');
    assert.equal(verbs(server)[0], 'AUTH');
    assert.equal(server.commands[0], 'AUTH SSL');
    assert.deepEqual(server.violations, []);
  });
});

test("auth 'TLS-then-SSL': AUTH SSL after a refused AUTH TLS", LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('AUTH', async (ctx) =>
      ctx.arg.toUpperCase() === 'TLS' ? void (await ctx.reply('504 Unknown AUTH type.')) : 'default',
    );
    const client = await connect({ auth: 'TLS-then-SSL' });
    assert.equal(typeof (await client.pwd()), 'string');
    assert.deepEqual(server.commands.slice(0, 2), ['AUTH TLS', 'AUTH SSL']);
  });
});

test("auth 'TLS-then-SSL', both refused → TlsError naming both, never a clear-text login", LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('AUTH', faults.reply('504 Unknown AUTH type.'));
    const err = assertFtpsError(await rejection(connect({ auth: 'TLS-then-SSL' })), TlsError, 'ERR_FTPS_TLS');
    assert.match(err.message, /AUTH TLS: 504.*AUTH SSL: 504/);
    assert.deepEqual(server.commands, ['AUTH TLS', 'AUTH SSL']);
    assertNoLogin(server);
  });
});

test('default auth: a refused AUTH TLS is not followed by AUTH SSL', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('AUTH', faults.reply('504 Unknown AUTH type.'));
    assertFtpsError(await rejection(connect()), TlsError, 'ERR_FTPS_TLS');
    assert.deepEqual(server.commands, ['AUTH TLS']);
  });
});

test("dataProtection 'clear' against a server that insists on protected data → the server's 522", LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f.txt': 'x' } }, async ({ server, connect }) => {
    const client = await connect({ dataProtection: 'clear' });
    const err = assertFtpsError(
      await rejection(client.download('/f.txt', new Sink())),
      FtpReplyError,
      'ERR_FTPS_REPLY',
    );
    assert.equal(err.replyCode, 522);
    server.violations.length = 0; // the server notes the clear-text attempt; that is the point here
    assert.equal(typeof (await client.pwd()), 'string');
  });
});

test('ccc refused by the server → FtpReplyError, the TCP connection under the TLS closed too', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const err = assertFtpsError(await rejection(connect({ ccc: true })), FtpReplyError, 'ERR_FTPS_REPLY');
    assert.equal(err.command, 'CCC');
    assert.ok(
      server.log.some((e) => e.line === 'CCC' && e.secure),
      'CCC itself under TLS, after the login',
    );
    // withServer asserts that no socket is left open on the server.
  });
});

test('ccc needs explicit mode', async () => {
  const { FtpsClient } = await import('../../src/index.js');
  for (const secure of ['implicit', false] as const) {
    await assert.rejects(FtpsClient.connect({ host: '127.0.0.1', secure, ccc: true }), TypeError);
  }
});
