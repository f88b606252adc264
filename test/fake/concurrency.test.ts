/**
 * Concurrency and cancellation: calls queued in call order on one connection, AbortSignal on
 * queued and running calls and on connect, close() while busy, calls after close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientClosedError, type FileInfo, type TransferResult } from '../../src/index.js';
import { faults } from '../helpers/fake-server.js';
import { assertFtpsError, LIMIT, random, rejection, Sink, sleep, until, verbs, withServer } from './support.js';

/** A hook that answers after `ms`: keeps one call in flight while others queue up. */
const slowNoop =
  (ms: number) =>
  async (ctx: { reply(text: string): Promise<void> }): Promise<void> => {
    await sleep(ms);
    await ctx.reply('200 NOOP ok (slow).');
  };

test('10 concurrent calls on one client all succeed, sent in call order', LIMIT, async () => {
  const f = random(300 * 1024);
  await withServer({ mode: 'explicit', files: { '/f.bin': f, '/g.txt': 'gg' } }, async ({ server, connect }) => {
    const client = await connect();
    const start = server.commands.length;
    const up1 = random(200 * 1024);
    const up2 = random(100 * 1024);
    const s1 = new Sink();
    const s2 = new Sink();
    const calls = [
      client.pwd(),
      client.size('/f.bin'),
      client.list('/'),
      client.upload(up1, '/u1.bin'),
      client.download('/f.bin', s1),
      client.send('NOOP'),
      client.size('/u1.bin'),
      client.upload(up2, '/u2.bin'),
      client.download('/u1.bin', s2),
      client.list('/'),
    ] as const;
    const results = await Promise.all(calls);
    assert.equal(results[0], '/');
    assert.equal(results[1], f.length);
    assert.deepEqual((results[2] as FileInfo[]).map((e) => e.name).sort(), ['f.bin', 'g.txt']);
    assert.equal((results[3] as TransferResult).bytes, up1.length);
    assert.ok(s1.bytes.equals(f));
    assert.equal(results[6], up1.length, 'SIZE ran after the upload queued before it');
    assert.ok(s2.bytes.equals(up1), 'download ran after the upload queued before it');
    assert.deepEqual((results[9] as FileInfo[]).map((e) => e.name).sort(), ['f.bin', 'g.txt', 'u1.bin', 'u2.bin']);
    assert.ok(server.files.get('/u2.bin')?.equals(up2));
    // The operations' commands, in call order (EPSV, OPTS and the like left out; MLSD or LIST).
    const ops = new Set(['PWD', 'SIZE', 'MLSD', 'LIST', 'STOR', 'RETR', 'NOOP']);
    const order = verbs(server)
      .slice(start)
      .filter((v) => ops.has(v))
      .map((v) => (v === 'MLSD' ? 'LIST' : v));
    assert.deepEqual(order, ['PWD', 'SIZE', 'LIST', 'STOR', 'RETR', 'NOOP', 'SIZE', 'STOR', 'RETR', 'LIST']);
    assert.deepEqual(server.violations, []);
  });
});

test('abort of a queued call rejects with signal.reason; the call never reaches the server', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/marker': 'm' } }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('NOOP', slowNoop(300), { times: 1 });
    const busy = client.send('NOOP');
    const controller = new AbortController();
    const queued = client.size('/marker', { signal: controller.signal });
    const after = client.pwd();
    const reason = new Error('changed my mind');
    controller.abort(reason);
    assert.equal(await rejection(queued), reason);
    assert.equal((await busy).code, 200);
    assert.equal(await after, '/');
    assert.ok(!server.commands.some((l) => l.startsWith('SIZE')), 'aborted call was sent');
    assert.equal(client.closed, false);
  });
});

test('a call with an already-aborted signal rejects with its reason and sends nothing', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    const before = server.commands.length;
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(client.pwd({ signal: controller.signal }));
    assert.equal(err, controller.signal.reason);
    assert.equal((err as Error).name, 'AbortError');
    assert.deepEqual(server.commands.slice(before), []);
    assert.equal(await client.pwd(), '/');
  });
});

for (const mode of ['explicit', 'plain'] as const) {
  test(`abort during a download rejects with the reason, client usable, no socket leaks (${mode})`, LIMIT, async () => {
    const payload = random(4 * 1024 * 1024);
    await withServer({ mode, files: { '/big.bin': payload } }, async ({ server, connect }) => {
      const client = await connect();
      const controller = new AbortController();
      const sink = new Sink((_chunk, total) => {
        if (total > 200_000) controller.abort();
      });
      const err = await rejection(client.download('/big.bin', sink, { signal: controller.signal }));
      assert.equal(err, controller.signal.reason);
      assert.ok(sink.bytes.length < payload.length);
      // Next call waits for the aborted transfer to wind down, then works.
      const listing = await client.list('/');
      assert.deepEqual(
        listing.map((e) => e.name),
        ['big.bin'],
      );
      assert.equal(client.closed, false);
      await until(() => server.openSockets() === 1, 2000, 'only the control connection left open');
      const again = new Sink();
      await client.download('/big.bin', again);
      assert.ok(again.bytes.equals(payload));
    });
  });
}

test('abort during an upload rejects with the reason, nothing stored, client usable', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    const controller = new AbortController();
    const reason = new Error('stop upload');
    const { Readable } = await import('node:stream');
    let sent = 0;
    const source = new Readable({
      read() {
        sent += 64 * 1024;
        if (sent > 256 * 1024) controller.abort(reason);
        setTimeout(() => this.push(random(64 * 1024)), 5);
      },
    });
    const err = await rejection(client.upload(source, '/aborted.bin', { signal: controller.signal }));
    assert.equal(err, reason);
    assert.equal(await client.pwd(), '/');
    assert.equal(server.files.has('/aborted.bin'), false);
    await until(() => server.openSockets() === 1, 2000, 'only the control connection left open');
  });
});

test('AbortSignal.timeout() on connect rejects with its TimeoutError and leaves nothing open', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('CONNECT', faults.stall());
    const signal = AbortSignal.timeout(200);
    const started = Date.now();
    const err = await rejection(connect({ timeouts: { connect: 10_000, reply: 10_000, data: 10_000 } }, signal));
    assert.equal(err, signal.reason);
    assert.equal((err as Error).name, 'TimeoutError');
    assert.ok(Date.now() - started < 5000);
    await server.waitForIdle(2000);
  });
});

test('AbortSignal on connect during the TLS upgrade/login', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('PASS', faults.stall());
    const controller = new AbortController();
    const pending = connect({}, controller.signal);
    await until(() => server.commands.some((l) => l.startsWith('PASS')), 2000, 'PASS sent');
    const reason = new Error('cancel login');
    controller.abort(reason);
    assert.equal(await rejection(pending), reason);
    await server.waitForIdle(2000);
  });
});

test(
  'close() while a download is in flight: the download rejects with ClientClosedError, close resolves',
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit', files: { '/big.bin': random(1024 * 1024) } }, async ({ server, connect }) => {
      const client = await connect();
      server.nextTransfer({ after: { bytes: 100_000, action: 'stall' } });
      let started!: () => void;
      const inFlight = new Promise<void>((resolve) => (started = resolve));
      const sink = new Sink((_c, total) => {
        if (total > 50_000) started();
      });
      const download = client.download('/big.bin', sink);
      download.catch(() => undefined);
      const queued = client.pwd();
      queued.catch(() => undefined);
      await inFlight;
      const before = server.commands.length;
      await client.close();
      assertFtpsError(await rejection(download), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
      assertFtpsError(await rejection(queued), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
      assert.equal(client.closed, true);
      assert.deepEqual(server.commands.slice(before), [], 'the queued PWD was not sent');
      await server.waitForIdle(2000);
    });
  },
);

test('close() twice is fine; calls after close reject with ClientClosedError', LIMIT, async () => {
  await withServer({ mode: 'implicit' }, async ({ server, connect }) => {
    const client = await connect();
    const first = client.close();
    const second = client.close();
    await Promise.all([first, second]);
    await client.close();
    assert.equal(client.closed, true);
    assert.equal(verbs(server).filter((v) => v === 'QUIT').length, 1);
    for (const call of [
      client.pwd(),
      client.list(),
      client.send('NOOP'),
      client.download('/x', new Sink()),
      client.upload(Buffer.from('x'), '/x'),
    ]) {
      assertFtpsError(await rejection(call), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
    }
    assert.equal(server.commands.at(-1), 'QUIT');
    await server.waitForIdle(2000);
  });
});

test('close() while idle sends QUIT and waits for the server to close', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    await client.pwd();
    await client.close();
    assert.equal(server.commands.at(-1), 'QUIT');
    await server.waitForIdle(1000);
    assert.deepEqual(server.violations, []);
  });
});
