// node:diagnostics_channel: each channel carries what docs/diagnostics.md documents.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import {
  CHANNELS,
  ClientClosedError,
  createPool,
  FtpReplyError,
  type CloseMessage,
  type CommandMessage,
  type ConnectMessage,
  type PoolResizeMessage,
  type ReplyMessage,
  type RetryMessage,
  type TransferEndMessage,
  type TransferStartMessage,
} from '../../src/index.js';
import { optionsFor, withServer } from './support.js';

/** Collects every message of the channels while `fn` runs. */
async function recording(fn: (seen: Map<string, unknown[]>) => Promise<void>): Promise<void> {
  const seen = new Map<string, unknown[]>();
  const subs = Object.values(CHANNELS).map((name) => {
    seen.set(name, []);
    const sub = (message: unknown): void => void seen.get(name)?.push(message);
    diagnostics_channel.subscribe(name, sub);
    return () => diagnostics_channel.unsubscribe(name, sub);
  });
  try {
    await fn(seen);
  } finally {
    for (const unsubscribe of subs) unsubscribe();
  }
}

const get = <T>(seen: Map<string, unknown[]>, name: string): T[] => (seen.get(name) ?? []) as T[];

describe('diagnostics channels', () => {
  it('connect, command (password redacted), reply, transfer start/end and close', async () => {
    const data = randomBytes(50_000);
    await withServer({ mode: 'explicit', files: { '/f.bin': data } }, async ({ connect, server }) => {
      await recording(async (seen) => {
        const client = await connect({ password: 'pass' });
        const sink = new PassThrough();
        sink.resume();
        await client.download('/f.bin', sink);
        await assert.rejects(client.download('/missing', new PassThrough()), FtpReplyError);
        await client.close();

        const [connected] = get<ConnectMessage>(seen, CHANNELS.connect);
        assert.ok(connected !== undefined);
        assert.equal(connected.host, '127.0.0.1');
        assert.equal(connected.port, server.port);
        assert.equal(connected.secure, 'explicit');
        assert.match(connected.tlsProtocol ?? '', /^TLSv1\.[23]$/);
        assert.ok(connected.durationMs >= 0 && Number.isInteger(connected.connectionId));
        const id = connected.connectionId;

        const commands = get<CommandMessage>(seen, CHANNELS.command)
          .filter((m) => m.connectionId === id)
          .map((m) => m.command);
        assert.ok(commands.includes('PASS <redacted>'), commands.join(', '));
        assert.ok(commands.includes('USER user'));
        assert.ok(commands.includes('RETR /f.bin'));
        assert.ok(!commands.some((c) => c.includes('pass') && c.startsWith('PASS')), 'no password');

        const replies = get<ReplyMessage>(seen, CHANNELS.reply).filter((m) => m.connectionId === id);
        assert.ok(replies.some((r) => r.code === 230));
        assert.ok(replies.some((r) => r.code === 150));
        assert.ok(replies.every((r) => typeof r.text === 'string' && r.host === '127.0.0.1'));

        const starts = get<TransferStartMessage>(seen, CHANNELS.transferStart).filter((m) => m.connectionId === id);
        assert.deepEqual(
          starts.map((s) => [s.command, s.direction]),
          [
            ['RETR /f.bin', 'download'],
            ['RETR /missing', 'download'],
          ],
        );
        const [ok, failed] = get<TransferEndMessage>(seen, CHANNELS.transferEnd).filter((m) => m.connectionId === id);
        assert.equal(ok?.bytes, data.length);
        assert.equal(ok?.replyCode, 226);
        assert.equal(ok?.tlsSessionReused, true);
        assert.equal(ok?.closeNotify, true); // the fake server ends its downloads with close_notify
        assert.equal(ok?.error, undefined);
        assert.ok((ok?.durationMs ?? -1) >= 0);
        assert.ok(failed?.error instanceof FtpReplyError);
        assert.equal(failed?.bytes, undefined);
        assert.equal(failed?.replyCode, undefined);
        assert.equal(failed?.closeNotify, undefined);

        const closes = get<CloseMessage>(seen, CHANNELS.close).filter((m) => m.connectionId === id);
        assert.equal(closes.length, 1);
        assert.ok(closes[0]?.reason instanceof ClientClosedError);
      });
    });
  });

  it('retry and pool shrink/regrow', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 8; i++) files[`/f${i}.bin`] = randomBytes(10_000);
    await withServer({ mode: 'explicit', files, maxConnections: 2 }, async ({ server }) => {
      await recording(async (seen) => {
        const pool = createPool(optionsFor(server), { size: 4, retryDelayMs: 10, regrowDelayMs: 100 });
        try {
          let refused = false;
          server.hook('MLSD', async (ctx) => {
            if (refused) return 'default';
            refused = true;
            await ctx.reply('450 Busy, try again.');
          });
          const all = (): Promise<unknown> =>
            Promise.all(Object.keys(files).map((f) => pool.download(f, new PassThrough().resume())));
          assert.equal((await pool.list('/')).length, 8, 'the listing was retried');
          await all();
          const retries = get<RetryMessage>(seen, CHANNELS.retry);
          assert.ok(
            retries.some(
              (r) => r.attempt === 1 && r.error instanceof FtpReplyError && r.delayMs >= 0 && r.retries >= 1,
            ),
            JSON.stringify(retries),
          );
          const shrinks = get<PoolResizeMessage>(seen, CHANNELS.poolShrink);
          assert.ok(shrinks.length >= 1);
          assert.ok(shrinks.every((s) => s.to < s.from && s.max === 4));
          assert.equal(pool.stats().size, shrinks.at(-1)?.to);
          server.options.maxConnections = Infinity;
          await new Promise((r) => setTimeout(r, 150));
          await all();
          const regrows = get<PoolResizeMessage>(seen, CHANNELS.poolRegrow);
          assert.ok(regrows.length >= 1);
          assert.ok(regrows.every((s) => s.to === s.from + 1 && s.max === 4));
        } finally {
          await pool.close();
        }
      });
    });
  });
});
