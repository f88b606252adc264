/** ftps-client/testing as a user sees it: startTestServer() in three lines, files, fault hooks, no leaked socket. */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { FtpsClient, FtpsError } from '../../src/index.js';
import { startTestServer } from '../../src/testing/index.js';

const LIMIT = { timeout: 20_000 };
const FAST = { connect: 2000, reply: 1000, data: 1000 };

for (const mode of ['explicit', 'implicit', 'plain'] as const) {
  test(`startTestServer (${mode}): upload, list, download; session reuse enforced; no socket left`, LIMIT, async () => {
    const server = await startTestServer({ mode, files: { '/in/a.txt': 'hello' } });
    try {
      const client = await FtpsClient.connect(server.connectOptions);
      await client.upload(Buffer.from('uploaded'), '/in/b.txt');
      assert.deepEqual((await client.list('/in')).map((e) => e.name).sort(), ['a.txt', 'b.txt']);
      const chunks: Buffer[] = [];
      await client.download(
        '/in/a.txt',
        new Writable({
          write(c, _e, cb) {
            chunks.push(c);
            cb();
          },
        }),
      );
      await client.close();
      assert.equal(Buffer.concat(chunks).toString(), 'hello');
      assert.equal(server.files.get('/in/b.txt')?.toString(), 'uploaded');
      assert.equal(server.commands.includes('PROT P'), mode !== 'plain');
      assert.deepEqual(server.server.violations, []);
      await server.waitForIdle();
    } finally {
      await server.stop();
    }
  });
}

test('startTestServer: the url form connects too, and root seeds files from a folder', LIMIT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftps-testing-'));
  try {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'c.bin'), 'from disk');
    await using server = await startTestServer({ root: dir });
    const client = await FtpsClient.connect(server.url, { tls: { ca: server.ca } });
    assert.equal(await client.size('/sub/c.bin'), 9);
    await client.close();
    await server.waitForIdle();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const faultCases = [
  {
    name: 'refuseProtP',
    arm: (s: Awaited<ReturnType<typeof startTestServer>>) => s.faults.refuseProtP(),
    code: 'ERR_FTPS_TLS',
  },
  {
    name: 'reply421 on RETR',
    arm: (s: Awaited<ReturnType<typeof startTestServer>>) => s.faults.reply421('RETR'),
    code: 'ERR_FTPS_REPLY',
  },
  {
    name: 'resetDataAfter',
    arm: (s: Awaited<ReturnType<typeof startTestServer>>) => s.faults.resetDataAfter(1000),
    code: 'ERR_FTPS_REPLY',
  },
  {
    name: 'truncateDataAfter (no close_notify)',
    arm: (s: Awaited<ReturnType<typeof startTestServer>>) => s.faults.truncateDataAfter(1000),
    code: 'ERR_FTPS_TRUNCATED',
  },
  {
    name: 'stallData',
    arm: (s: Awaited<ReturnType<typeof startTestServer>>) => s.faults.stallData(),
    code: 'ERR_FTPS_REPLY_TIMEOUT',
  },
] as const;

for (const c of faultCases) {
  test(`startTestServer fault ${c.name} → ${c.code}, no socket left`, LIMIT, async () => {
    await using server = await startTestServer({ files: { '/big.bin': Buffer.alloc(200_000, 7) } });
    c.arm(server);
    let client: FtpsClient | undefined;
    const err = await (async () => {
      try {
        client = await FtpsClient.connect({ ...server.connectOptions, timeouts: FAST });
        await client.download(
          '/big.bin',
          new Writable({
            write(_c, _e, cb) {
              cb();
            },
          }),
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    await client?.close().catch(() => {});
    assert.ok(err instanceof FtpsError, `expected an FtpsError, got ${String(err)}`);
    assert.equal((err as FtpsError).code, c.code);
    await server.waitForIdle();
  });
}
