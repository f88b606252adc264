/**
 * Connections that survive: idle keepalive (NOOP), a dead idle connection found and replaced in a
 * pool, opt-in reconnect, the overall deadline of a call, the pool's retry policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import {
  ClientClosedError,
  ConnectionError,
  createPool,
  FtpReplyError,
  OperationTimeoutError,
  ReplyTimeoutError,
} from '../../src/index.js';
import type { HookResult } from '../helpers/fake-server.js';
import { assertFtpsError, LIMIT, optionsFor, rejection, Sink, sleep, until, withServer } from './support.js';

const noops = (log: { line: string }[]): number => log.filter((e) => e.line === 'NOOP').length;

test('keepalive: an idle client sends NOOP every interval, none with keepAlive: false', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect({ keepAlive: 100 });
    const quiet = await connect({ keepAlive: false });
    await until(() => noops(server.log) >= 3, 3000, 'three NOOPs from the idle client');
    assert.equal(
      new Set(server.log.filter((e) => e.line === 'NOOP').map((e) => e.connection)).size,
      1,
      'only the keepalive client sent NOOPs',
    );
    assert.equal(await client.pwd(), '/');
    assert.equal(await quiet.pwd(), '/');
    assert.equal(client.closed, false);
  });
});

test('keepalive: a NOOP that gets no answer closes the idle client (ReplyTimeoutError as cause)', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('NOOP', (ctx) => ctx.stall());
    const client = await connect({ keepAlive: 100 });
    await until(() => client.closed, 4000, 'the client closed after the unanswered NOOP');
    const err = assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
    assert.ok(err.cause instanceof ReplyTimeoutError, String(err.cause));
  });
});

test(
  'pool: a dead idle connection is found by keepalive and replaced; a call queued behind the NOOP runs on a fresh one',
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit' }, async ({ server }) => {
      const pool = createPool(optionsFor(server, { keepAlive: 150 }), { size: 1, retry: { retries: 0 } });
      try {
        await pool.mkdir('/a');
        const first = server.log.find((e) => e.line === 'MKD /a')?.connection;
        // The connection goes dead silently (a NAT dropped it): NOOPs are never answered.
        server.hook('NOOP', (ctx) => (ctx.connection === first ? ctx.stall() : 'default'));
        await until(
          () => server.log.some((e) => e.line === 'NOOP' && e.connection === first),
          3000,
          'a keepalive NOOP on the first connection',
        );
        // Queued behind the unanswered NOOP: never sent there, so it runs on a new connection even
        // though mkdir is never retried.
        await pool.mkdir('/b');
        const mkdB = server.log.filter((e) => e.line === 'MKD /b');
        assert.equal(mkdB.length, 1, 'MKD /b sent once');
        assert.notEqual(mkdB[0]?.connection, first);
        assert.equal(pool.stats().open, 1);
      } finally {
        await pool.close();
      }
    });
  },
);

test(
  'reconnect: after the server drops the connection, the next call logs in again in the same folder',
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit', files: { '/dir/f.txt': 'hello' } }, async ({ server, connect }) => {
      const client = await connect({ reconnect: true });
      await client.cd('/dir');
      server.hook('DELE', (ctx) => ctx.destroy(), { times: 1 });
      // Fails midway: reported, never replayed.
      assertFtpsError(await rejection(client.remove('f.txt')), ConnectionError, 'ERR_FTPS_CONNECTION');
      assert.equal(server.commands.filter((c) => c === 'DELE f.txt').length, 1);
      assert.equal(client.closed, true);
      // The next call reconnects and finds itself in /dir again.
      assert.equal(await client.pwd(), '/dir');
      assert.equal(await client.size('f.txt'), 5);
      assert.equal(client.closed, false);
      assert.equal(server.commands.filter((c) => c === 'DELE f.txt').length, 1, 'the failed DELE was not repeated');
      assert.equal(server.commands.filter((c) => c.startsWith('USER')).length, 2);
    });
  },
);

test('reconnect off (default): the next call after a drop rejects with ClientClosedError', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('PWD', (ctx) => ctx.destroy(), { times: 1 });
    assertFtpsError(await rejection(client.pwd()), ConnectionError, 'ERR_FTPS_CONNECTION');
    const err = assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
    assert.ok(err.cause instanceof ConnectionError);
  });
});

test('reconnect: close() stays final', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ connect }) => {
    const client = await connect({ reconnect: true });
    await client.close();
    assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
  });
});

test(
  'deadline: timeouts.operation rejects a slow call with OperationTimeoutError; the client stays usable',
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      const client = await connect({ timeouts: { connect: 2000, reply: 2000, data: 2000, operation: 200 } });
      server.hook(
        'PWD',
        async (): Promise<HookResult> => {
          await sleep(600);
          return 'default';
        },
        { times: 1 },
      );
      assertFtpsError(await rejection(client.pwd()), OperationTimeoutError, 'ERR_FTPS_OPERATION_TIMEOUT');
      // The late reply is read before the next call runs: it gets its own answer.
      assert.equal(await client.pwd(), '/');
      assert.equal(client.closed, false);
    });
  },
);

test('deadline: a per-call timeout aborts a transfer still running; the client stays usable', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f.bin': Buffer.alloc(2_000_000, 1) } }, async ({ connect }) => {
    const client = await connect();
    // A consumer slow enough that the transfer cannot finish within the deadline.
    const slow = new Writable({ highWaterMark: 16_384, write: (_chunk, _enc, cb) => void setTimeout(cb, 20) });
    const err = assertFtpsError(
      await rejection(client.download('/f.bin', slow, { timeout: 300 })),
      OperationTimeoutError,
      'ERR_FTPS_OPERATION_TIMEOUT',
    );
    assert.match(err.message, /300 ms/);
    const again = new Sink();
    await client.download('/f.bin', again);
    assert.equal(again.bytes.length, 2_000_000);
    assert.equal(client.closed, false);
  });
});

test('a bad per-call timeout or keepAlive is a RangeError naming it', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    await assert.rejects(
      client.pwd({ timeout: 2 ** 31 }),
      (e: Error) => e instanceof RangeError && /"timeout"/.test(e.message),
    );
    await assert.rejects(
      connect({ keepAlive: 0 }),
      (e: Error) => e instanceof RangeError && /"keepAlive"/.test(e.message),
    );
    assert.throws(() => createPool(optionsFor(server), { retry: { factor: 0.5 } }), /"retry\.factor"/);
    assert.throws(() => createPool(optionsFor(server), { retry: { jitter: 2 } }), /"retry\.jitter"/);
  });
});

test('pool retry: a reply timeout is retried on a fresh connection', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f.txt': 'abc' } }, async ({ server }) => {
    const pool = createPool(optionsFor(server, { timeouts: { connect: 2000, reply: 300, data: 1000 } }), {
      size: 1,
      retry: { minDelayMs: 10 },
    });
    try {
      server.hook('SIZE', (ctx) => ctx.stall(), { times: 1 });
      assert.equal(await pool.size('/f.txt'), 3);
      const sizes = server.log.filter((e) => e.line === 'SIZE /f.txt');
      assert.equal(sizes.length, 2);
      assert.notEqual(sizes[0]?.connection, sizes[1]?.connection);
    } finally {
      await pool.close();
    }
  });
});

test('pool retry: retryOn(error, attempt) decides; returning false stops at once', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f.txt': 'abc' } }, async ({ server }) => {
    const seen: [string, number][] = [];
    const pool = createPool(optionsFor(server), {
      size: 1,
      retry: {
        retries: 5,
        minDelayMs: 1,
        retryOn: (err, attempt) => (seen.push([(err as FtpReplyError).code, attempt]), attempt < 3),
      },
    });
    try {
      server.hook('SIZE', (ctx) => void ctx.reply('450 busy'));
      assertFtpsError(await rejection(pool.size('/f.txt')), FtpReplyError, 'ERR_FTPS_REPLY');
      assert.deepEqual(seen, [
        ['ERR_FTPS_REPLY', 1],
        ['ERR_FTPS_REPLY', 2],
        ['ERR_FTPS_REPLY', 3],
      ]);
      assert.equal(server.commands.filter((c) => c === 'SIZE /f.txt').length, 3);
    } finally {
      await pool.close();
    }
  });
});

test("pool: a call's timeout bounds the operation with all its retries → OperationTimeoutError", LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f.txt': 'abc' } }, async ({ server }) => {
    const pool = createPool(optionsFor(server), {
      size: 1,
      retry: { retries: 50, minDelayMs: 50, factor: 1, jitter: 0 },
    });
    try {
      server.hook('SIZE', (ctx) => void ctx.reply('450 busy'));
      assertFtpsError(
        await rejection(pool.size('/f.txt', { timeout: 400 })),
        OperationTimeoutError,
        'ERR_FTPS_OPERATION_TIMEOUT',
      );
      const tries = server.commands.filter((c) => c === 'SIZE /f.txt').length;
      assert.ok(tries >= 2 && tries < 50, `${tries} tries`);
      await assert.rejects(pool.size('/f.txt', { timeout: -1 }), RangeError);
    } finally {
      await pool.close();
    }
  });
});
