// A cut listing must never poison the next one. The fake server's `listingLeftover` acts like
// pure-ftpd 1.0.50: the unsent rest of a broken listing goes out first in the next listing of that
// control connection. A server not known to keep nothing (ServerQuirks.cleanAfterCutListing) gets its
// connection retired after a cut listing: the next call runs on a fresh login, in the same folder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPool, FtpsClient, ListingTooLargeError, type FileInfo } from '../../src/index.js';
import { faults } from '../helpers/fake-server.js';
import { optionsFor, Sink, withServer } from './support.js';

const COUNT = 30_000;
const BLOB = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
const VSFTPD_GREETING = '220 (vsFTPd 3.0.3)';

function files(): Record<string, string | Buffer> {
  const all: Record<string, string | Buffer> = { '/small/a.txt': 'a', '/small/blob.bin': BLOB };
  for (let i = 0; i < COUNT; i++) all[`/big/file-with-a-rather-long-name-${String(i).padStart(6, '0')}.dat`] = '';
  return all;
}

function logins(commands: string[]): number {
  return commands.filter((c) => c.startsWith('USER ')).length;
}

/** Cuts a listing of /big: `maxListEntries` exceeded in list(), or an abort in a listIter loop. */
async function cutListing(
  how: 'too-large' | 'abort',
  client: {
    list: (p: string) => Promise<FileInfo[]>;
    listIter: (p: string, c: { signal: AbortSignal }) => AsyncIterable<FileInfo>;
  },
): Promise<void> {
  if (how === 'too-large') {
    await assert.rejects(client.list('/big'), ListingTooLargeError);
    return;
  }
  const ac = new AbortController();
  const reason = new Error('enough');
  let seen = 0;
  await assert.rejects(
    (async () => {
      for await (const _ of client.listIter('/big', { signal: ac.signal })) if (++seen === 10) ac.abort(reason);
    })(),
    (err) => err === reason,
  );
}

/** The checks after a cut: exact listings (listIter: no `maxListEntries`) and a byte-for-byte download. */
async function assertExact(client: FtpsClient): Promise<void> {
  const names = new Set<string>();
  let count = 0;
  for await (const e of client.listIter('/big')) {
    count++;
    names.add(e.name);
  }
  assert.equal(count, COUNT);
  assert.equal(names.size, COUNT);
  assert.deepEqual((await client.list('/small')).map((e) => e.name).sort(), ['a.txt', 'blob.bin']);
  const sink = new Sink();
  await client.download('/small/blob.bin', sink);
  assert.ok(sink.bytes.equals(BLOB), 'download byte for byte');
}

describe('a cut listing on a server that keeps its rest (like pure-ftpd)', { timeout: 60_000 }, () => {
  it('premise: on a server wrongly taken for one that keeps nothing, the next listing carries the rest', async () => {
    await withServer({ mode: 'explicit', files: files(), listingLeftover: true }, async ({ connect, server }) => {
      server.hook('CONNECT', faults.reply(VSFTPD_GREETING));
      const client = await connect({ maxListEntries: 100 });
      await cutListing('too-large', client);
      let next = 0;
      for await (const _ of client.listIter('/big')) next++;
      assert.ok(next > COUNT, `${next} entries: the fake server's leftover did not show`);
      assert.equal(logins(server.commands), 1);
    });
  });

  for (const how of ['too-large', 'abort'] as const) {
    for (const reconnect of [false, true]) {
      it(`after ${how === 'too-large' ? 'ListingTooLargeError' : 'an abort'} (reconnect: ${reconnect}): the next call runs on a fresh login in the same folder, listings exact`, async () => {
        await withServer({ mode: 'explicit', files: files(), listingLeftover: true }, async ({ connect, server }) => {
          const client = await connect({ maxListEntries: how === 'too-large' ? 100 : 100_000, reconnect });
          await client.cd('/small');
          await cutListing(how, client);
          assert.equal(logins(server.commands), 1, 'no login before the next call');
          // Relative: the fresh login must be back in /small.
          assert.deepEqual((await client.list()).map((e) => e.name).sort(), ['a.txt', 'blob.bin']);
          assert.equal(logins(server.commands), 2);
          const sent = server.commands;
          const retired = sent.lastIndexOf('AUTH TLS');
          assert.deepEqual(sent.slice(retired - 2, retired), ['PWD', 'QUIT']);
          assert.equal(sent[sent.indexOf('CWD /small', retired)], 'CWD /small');
          await client.cd('/');
          await assertExact(client);
          assert.equal(logins(server.commands), 2, 'complete listings retire nothing');
          assert.equal(client.closed, false);
          assert.deepEqual(server.violations, []);
        });
      });
    }
  }

  it('leaving a listIter loop early reads the rest instead: same connection, next listing exact', async () => {
    await withServer({ mode: 'explicit', files: files(), listingLeftover: true }, async ({ connect, server }) => {
      const client = await connect();
      for await (const _ of client.listIter('/big')) break;
      await assertExact(client);
      assert.equal(logins(server.commands), 1);
      assert.ok(!server.commands.includes('ABOR'));
    });
  });

  it('a failed replacement login leaves the client as a lost connection would: typed error, then closed', async () => {
    await withServer({ mode: 'explicit', files: files(), listingLeftover: true }, async ({ connect, server }) => {
      const client = await connect({ maxListEntries: 100 });
      await cutListing('too-large', client);
      server.hook('CONNECT', faults.replyAndClose('421 Too many connections.'));
      await assert.rejects(client.pwd(), { code: 'ERR_FTPS_REPLY', replyCode: 421 });
      await assert.rejects(client.pwd(), { code: 'ERR_FTPS_CLIENT_CLOSED' });
      assert.equal(client.closed, true);
    });
  });

  it('a pool hands a retired connection to its next task only after a fresh login; listings exact', async () => {
    await withServer({ mode: 'explicit', files: files(), listingLeftover: true }, async ({ server }) => {
      const pool = createPool(optionsFor(server, { maxListEntries: 100 }), {}, { size: 1 });
      try {
        await assert.rejects(pool.list('/big'), ListingTooLargeError);
        assert.deepEqual((await pool.list('/small')).map((e) => e.name).sort(), ['a.txt', 'blob.bin']);
        assert.equal(logins(server.commands), 2);
        const sink = new Sink();
        await pool.download('/small/blob.bin', sink);
        assert.ok(sink.bytes.equals(BLOB));
      } finally {
        await pool.close();
      }
    });
  });
});

describe('a cut listing on a server known to keep nothing of it (vsftpd greeting)', { timeout: 60_000 }, () => {
  it('keeps the connection after a cut; listIter left early cuts (ABOR) instead of reading the rest', async () => {
    await withServer({ mode: 'explicit', files: files() }, async ({ connect, server }) => {
      server.hook('CONNECT', faults.reply(VSFTPD_GREETING));
      const client = await connect({ maxListEntries: 100 });
      await cutListing('too-large', client);
      for await (const _ of client.listIter('/big')) break;
      assert.equal(await client.pwd(), '/');
      const sent = server.commands;
      const last = sent.lastIndexOf('MLSD /big');
      // EPSV: the next transfer's passive address, asked for behind MLSD on vsftpd (session/data-prefetch.ts).
      assert.deepEqual(sent.slice(last + 1), ['EPSV', 'ABOR', 'NOOP', 'PWD']);
      const big: FileInfo[] = [];
      for await (const e of client.listIter('/big')) big.push(e);
      assert.equal(big.length, COUNT);
      assert.equal(logins(server.commands), 1);
    });
  });
});
