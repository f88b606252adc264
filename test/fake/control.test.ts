/**
 * The control connection's bounds: endless 1xx replies, aborts mid-command, path checks, timeout
 * limits, keepalive and reconnect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClientClosedError,
  createPool,
  InvalidArgumentError,
  ReplyTimeoutError,
  type FtpsClient,
  type FtpsPool,
} from '../../src/index.js';
import type { Hook, HookResult } from '../helpers/fake-server.js';
import { assertFtpsError, LIMIT, optionsFor, rejection, Sink, sleep, withServer } from './support.js';

/** Answers with `100 still working` every 300 ms until the connection closes; never a final reply. */
const endlessPreliminary: Hook = async (ctx) => {
  let open = true;
  void ctx.stall().then(() => (open = false));
  while (open) {
    await ctx.reply('100 still working');
    await sleep(300);
  }
};

test(
  'endless 1xx replies: the reply timeout bounds the whole command → ReplyTimeoutError, client closed',
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      const client = await connect();
      server.hook('PWD', endlessPreliminary);
      assertFtpsError(await rejection(client.pwd()), ReplyTimeoutError, 'ERR_FTPS_REPLY_TIMEOUT');
      assert.equal(client.closed, true);
      assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
    });
  },
);

test(
  'endless 1xx replies after an abort: the next call settles (client clearly closed), not pending',
  LIMIT,
  async () => {
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
  },
);

test('a few 1xx replies before the final one are fine (pwd resolves)', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook(
      'PWD',
      async (ctx): Promise<HookResult> => {
        await ctx.reply('100 still working');
        await ctx.reply('100 still working');
        return 'default';
      },
      { times: 1 },
    );
    assert.equal(await client.pwd(), '/');
    assert.equal(client.closed, false);
  });
});

for (const reply of [2 ** 31 - 1, Number.POSITIVE_INFINITY]) {
  test(
    `timeouts.reply ${reply}: a slow reply is still awaited (no overflowing timer firing at once)`,
    LIMIT,
    async () => {
      await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
        const client = await connect({ timeouts: { connect: Number.POSITIVE_INFINITY, reply, data: reply } });
        server.hook('PWD', async (): Promise<HookResult> => {
          await sleep(200);
          return 'default';
        });
        assert.equal(await client.pwd(), '/');
        await client.upload(Buffer.from('hello'), '/a.txt');
        assert.equal(await client.size('/a.txt'), 5);
        assert.equal(client.closed, false);
      });
    },
  );
}

// ---- path arguments: one check (checkPath) before anything is queued or sent ----

type PathCall = [label: string, call: (c: FtpsClient | FtpsPool, bad: unknown) => Promise<unknown>, arg: string];

const asStr = (v: unknown): string => v as string;
const PATH_CALLS: PathCall[] = [
  ['cd', (c, v) => (c as FtpsClient).cd(asStr(v)), 'path'],
  ['mkdir', (c, v) => c.mkdir(asStr(v)), 'path'],
  ['rmdir', (c, v) => c.rmdir(asStr(v)), 'path'],
  ['remove', (c, v) => c.remove(asStr(v)), 'path'],
  ['rename from', (c, v) => c.rename(asStr(v), '/b'), 'from'],
  ['rename to', (c, v) => c.rename('/a', asStr(v)), 'to'],
  ['size', (c, v) => c.size(asStr(v)), 'path'],
  ['lastModified', (c, v) => c.lastModified(asStr(v)), 'path'],
  ['setLastModified', (c, v) => c.setLastModified(asStr(v), new Date()), 'path'],
  ['stat', (c, v) => c.stat(asStr(v)), 'path'],
  ['exists', (c, v) => c.exists(asStr(v)), 'path'],
  ['ensureDir', (c, v) => c.ensureDir(asStr(v)), 'path'],
  ['removeDir', (c, v) => c.removeDir(asStr(v), { recursive: true }), 'path'],
  ['upload', (c, v) => c.upload(Buffer.from('x'), asStr(v)), 'remotePath'],
  ['download', (c, v) => c.download(asStr(v), new Sink()), 'remotePath'],
];
const CLIENT_ONLY: PathCall[] = [
  ['createReadStream', async (c, v) => (c as FtpsClient).createReadStream(asStr(v)), 'remotePath'],
  ['createWriteStream', async (c, v) => (c as FtpsClient).createWriteStream(asStr(v)), 'remotePath'],
];
// Tree methods throw their argument errors synchronously, like their option errors.
const POOL_ONLY: PathCall[] = [
  ['uploadDir', async (c, v) => (c as FtpsPool).uploadDir('.', asStr(v)), 'remoteDir'],
  ['downloadDir', async (c, v) => (c as FtpsPool).downloadDir(asStr(v), '/nonexistent-local'), 'remoteDir'],
  [
    'mirror',
    async (c, v) => (c as FtpsPool).mirror({ direction: 'download', local: '/nonexistent-local', remote: asStr(v) }),
    'options.remote',
  ],
];
const BAD_VALUES: [string, unknown, RegExp][] = [
  ['null', null, /got null/],
  ['a number', 42, /got number/],
  ['undefined', undefined, /got undefined/],
  ['an empty string', '', /empty path/],
  ['CRLF', 'a\r\nDELE b', /CR, LF or NUL/],
];

async function assertRefused(label: string, call: (bad: unknown) => Promise<unknown>, arg: string): Promise<void> {
  for (const [what, value, message] of BAD_VALUES) {
    const err = await call(value).then(
      () => assert.fail(`${label}(${what}) resolved`),
      (e: unknown) => e,
    );
    const typed = assertFtpsError(err, InvalidArgumentError, 'ERR_FTPS_INVALID_ARGUMENT');
    assert.match(typed.message, new RegExp(`"${arg.replace('.', '\\.')}"`), `${label}(${what}) names the argument`);
    assert.match(typed.message, message, `${label}(${what})`);
  }
}

test(
  'client: every path argument of every method is checked before anything is sent (null, number, empty, CRLF)',
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit', files: { '/a': 'x' } }, async ({ server, connect }) => {
      const client = await connect();
      const before = server.commands.length;
      for (const [label, call, arg] of [...PATH_CALLS, ...CLIENT_ONLY])
        await assertRefused(label, (v) => call(client, v), arg);
      for (const [what, value] of BAD_VALUES.filter(([, v]) => v !== undefined)) {
        await assert.rejects(client.list(value as string), InvalidArgumentError, `list(${what})`);
        assert.throws(() => client.listIter(value as string), InvalidArgumentError, `listIter(${what})`);
      }
      assert.deepEqual(server.commands.slice(before), [], 'nothing was sent');
      // Still usable, and a good path still works.
      assert.equal(await client.size('/a'), 1);
    });
  },
);

test('pool: every path argument is checked before a connection is even opened', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server }) => {
    let connections = 0;
    server.hook('CONNECT', () => {
      connections++;
      return 'default';
    });
    const pool = createPool(optionsFor(server));
    try {
      for (const [label, call, arg] of [...PATH_CALLS.filter(([l]) => l !== 'cd'), ...POOL_ONLY])
        await assertRefused(label, (v) => call(pool, v), arg);
      await assert.rejects(pool.list(null as unknown as string), InvalidArgumentError);
      await sleep(50);
      assert.equal(connections, 0, 'a connection was opened for a bad argument');
      assert.deepEqual(server.commands, []);
    } finally {
      await pool.close();
    }
  });
});
