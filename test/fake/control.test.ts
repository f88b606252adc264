/**
 * The control connection's bounds: endless 1xx replies, aborts mid-command, path checks, timeout
 * limits, keepalive and reconnect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientClosedError, ReplyTimeoutError } from '../../src/index.js';
import type { Hook, HookResult } from '../helpers/fake-server.js';
import { assertFtpsError, LIMIT, rejection, sleep, withServer } from './support.js';

/** Answers with `100 still working` every 300 ms until the connection closes; never a final reply. */
const endlessPreliminary: Hook = async (ctx) => {
  let open = true;
  void ctx.stall().then(() => (open = false));
  while (open) {
    await ctx.reply('100 still working');
    await sleep(300);
  }
};

test('endless 1xx replies: the reply timeout bounds the whole command → ReplyTimeoutError, client closed', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('PWD', endlessPreliminary);
    assertFtpsError(await rejection(client.pwd()), ReplyTimeoutError, 'ERR_FTPS_REPLY_TIMEOUT');
    assert.equal(client.closed, true);
    assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
  });
});

test('endless 1xx replies after an abort: the next call settles (client clearly closed), not pending', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('PWD', endlessPreliminary, { times: 1 });
    const ac = new AbortController();
    const first = client.pwd({ signal: ac.signal });
    await sleep(100);
    ac.abort();
    const aborted = await rejection(first);
    assert.equal((aborted as Error).name, 'AbortError');
    const next = assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
    assert.ok(next.cause instanceof ReplyTimeoutError, `cause: ${String(next.cause)}`);
    assert.equal(client.closed, true);
  });
});

test('a few 1xx replies before the final one are fine (pwd resolves)', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('PWD', async (ctx): Promise<HookResult> => {
      await ctx.reply('100 still working');
      await ctx.reply('100 still working');
      return 'default';
    }, { times: 1 });
    assert.equal(await client.pwd(), '/');
    assert.equal(client.closed, false);
  });
});

for (const reply of [2 ** 31 - 1, Number.POSITIVE_INFINITY]) {
  test(`timeouts.reply ${reply}: a slow reply is still awaited (no overflowing timer firing at once)`, LIMIT, async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      const client = await connect({ timeouts: { connect: Number.POSITIVE_INFINITY, reply, data: reply } });
      server.hook('PWD', async (ctx): Promise<HookResult> => {
        await sleep(200);
        return 'default';
      });
      assert.equal(await client.pwd(), '/');
      await client.upload(Buffer.from('hello'), '/a.txt');
      assert.equal(await client.size('/a.txt'), 5);
      assert.equal(client.closed, false);
    });
  });
}
