// secure: 'auto' (listen first: greeting → explicit, silence → implicit; never plain) and the
// explicit-on-an-implicit-port fast failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TlsError } from '../../src/index.js';
import { assertFtpsError, assertNoLogin, LIMIT, rejection, sleep, verbs, withServer } from './support.js';

test("secure: 'auto' on an implicit port starts TLS after the silence", LIMIT, async () => {
  await withServer({ mode: 'implicit', files: { '/f': 'x' } }, async ({ connect }) => {
    const client = await connect({ secure: 'auto' });
    assert.ok(client.tls?.protocol?.startsWith('TLSv1.'));
    assert.deepEqual(
      (await client.list('/')).map((e) => e.name),
      ['f'],
    );
  });
});

test("secure: 'auto' on an explicit port takes the greeting and upgrades with AUTH TLS", LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f': 'x' } }, async ({ server, connect }) => {
    const client = await connect({ secure: 'auto' });
    assert.ok(client.tls !== undefined);
    assert.equal(verbs(server)[0], 'AUTH');
    assert.equal((await client.list('/')).length, 1);
  });
});

test("secure: 'auto' never falls back to plain FTP", LIMIT, async () => {
  await withServer({ mode: 'plain' }, async ({ server, connect }) => {
    const err = assertFtpsError(await rejection(connect({ secure: 'auto' })), TlsError, 'ERR_FTPS_TLS');
    assert.match(err.message, /AUTH TLS/);
    assertNoLogin(server);
  });
});

test(
  "secure: 'explicit' on an implicit port fails with a message naming implicit FTPS, not the connect timeout",
  LIMIT,
  async () => {
    await withServer({ mode: 'implicit' }, async ({ connect }) => {
      // The default 15 s connect timeout: a ConnectTimeoutError could not arrive within the test limit.
      const err = assertFtpsError(
        await rejection(connect({ secure: 'explicit', timeouts: { connect: 15_000, reply: 1000, data: 1000 } })),
        TlsError,
        'ERR_FTPS_TLS',
      );
      assert.match(err.message, /looks like implicit FTPS/);
    });
  },
);

test(
  "secure: 'explicit' still waits for a slow plain greeting (silence alone is no proof of implicit TLS)",
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      server.hook(
        'CONNECT',
        async (): Promise<'default'> => {
          await sleep(1800);
          return 'default';
        },
        { times: 2 },
      );
      const client = await connect({ timeouts: { connect: 6000, reply: 1000, data: 1000 } });
      assert.ok(client.tls !== undefined);
    });
  },
);

test(
  "secure: 'implicit' on an explicit port still fails at once with a TlsError (the greeting is no handshake)",
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      assertFtpsError(
        await rejection(connect({ secure: 'implicit', timeouts: { connect: 15_000, reply: 1000, data: 1000 } })),
        TlsError,
        'ERR_FTPS_TLS',
      );
      assertNoLogin(server);
    });
  },
);
