// Caps on what a server can make the client accumulate: list() entries, remote tree scans, and the
// depth of a recursive removeDir (issue 9 defect 4: a server where every folder lists a subfolder).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createPool, ListingTooLargeError, TreeTooDeepError } from '../../src/index.js';
import { assertFtpsError, optionsFor, rejection, withServer } from './support.js';

const LIST_ONLY = ['EPSV', 'PASV', 'SIZE', 'MDTM', 'UTF8', 'AUTH TLS', 'PBSZ', 'PROT'];

function files(count: number, dir = '/big'): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) out[`${dir}/f${String(i).padStart(4, '0')}`] = 'x';
  return out;
}

/** A chain of `levels` nested folders below /deep, with a file at the bottom. */
function chain(levels: number): Record<string, string> {
  return { [`/deep${'/a'.repeat(levels)}/bottom.txt`]: 'bottom' };
}

describe('list() is bounded', () => {
  for (const features of [undefined, LIST_ONLY]) {
    it(`rejects past maxListEntries with ListingTooLargeError pointing to listIter (${features === undefined ? 'MLSD' : 'LIST'}); the client stays usable`, async () => {
      await withServer(
        { mode: 'explicit', files: files(300), ...(features === undefined ? {} : { features }) },
        async ({ connect }) => {
          const client = await connect({ maxListEntries: 100 });
          const err = assertFtpsError(
            await rejection(client.list('/big')),
            ListingTooLargeError,
            'ERR_FTPS_LISTING_TOO_LARGE',
          );
          assert.equal(err.limit, 100);
          assert.equal(err.path, '/big');
          assert.match(err.message, /listIter/);
          assert.equal(await client.pwd(), '/');
          let count = 0;
          for await (const _ of client.listIter('/big')) count++;
          assert.equal(count, 300, 'listIter has no cap');
          const roomy = await connect({ maxListEntries: 300 });
          assert.equal((await roomy.list('/big')).length, 300);
        },
      );
    });
  }

  it('has a documented default and validates the option', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect }) => {
      await assert.rejects(connect({ maxListEntries: 0 }), RangeError);
      await assert.rejects(connect({ maxListEntries: 1.5 }), RangeError);
    });
  });
});

describe('tree scans are bounded', () => {
  it('downloadDir rejects past maxEntries before writing anything', async () => {
    await withServer(
      { mode: 'explicit', files: { ...files(20, '/t/a'), ...files(20, '/t/b') } },
      async ({ server }) => {
        const pool = createPool(optionsFor(server), { size: 2 });
        const local = mkdtempSync(join(tmpdir(), 'ftps-limit-'));
        try {
          const err = assertFtpsError(
            await rejection(pool.downloadDir('/t', join(local, 'out'), { maxEntries: 30 })),
            ListingTooLargeError,
            'ERR_FTPS_LISTING_TOO_LARGE',
          );
          assert.equal(err.limit, 30);
          assert.deepEqual(readdirSync(local), [], 'nothing written');
          const ok = await pool.downloadDir('/t', join(local, 'out'), { maxEntries: 42 });
          assert.equal(ok.files.copied, 40);
        } finally {
          await pool.close();
          rmSync(local, { recursive: true, force: true });
        }
      },
    );
  });
});

describe('recursive removeDir has a depth cap and cycle protection (issue 9 defect 4)', () => {
  it('stops at 64 levels with TreeTooDeepError and deletes nothing', async () => {
    await withServer({ mode: 'explicit', files: chain(100) }, async ({ connect, server }) => {
      const client = await connect({ timeouts: { connect: 5000, reply: 5000, data: 5000 } });
      const err = assertFtpsError(
        await rejection(client.removeDir('/deep', { recursive: true })),
        TreeTooDeepError,
        'ERR_FTPS_TREE_TOO_DEEP',
      );
      assert.match(err.message, /deeper than 64 levels/);
      const listings = server.commands.filter((c) => c.startsWith('MLSD'));
      assert.equal(listings.length, 64);
      assert.ok(!server.commands.some((c) => c.startsWith('DELE') || c.startsWith('RMD')), 'nothing deleted');
      assert.equal(server.fs.isFile(`/deep${'/a'.repeat(100)}/bottom.txt`), true);
      assert.equal(await client.pwd(), '/');
    });
  });

  it('removes a tree just inside the cap', async () => {
    await withServer({ mode: 'explicit', files: chain(63) }, async ({ connect, server }) => {
      const client = await connect({ timeouts: { connect: 5000, reply: 5000, data: 5000 } });
      await client.removeDir('/deep', { recursive: true });
      assert.equal(server.fs.isDir('/deep'), false);
    });
  });

  it('refuses a folder that MLSD lists as its own parent (same unique fact)', async () => {
    await withServer({ mode: 'explicit', files: { '/loop/x': 'x' } }, async ({ connect, server }) => {
      server.listings.set('/loop', ['type=file;size=1;unique=F1; x', 'type=dir;unique=D1; sub']);
      server.listings.set('/loop/sub', ['type=dir;unique=D1; sub']);
      const client = await connect();
      const err = assertFtpsError(
        await rejection(client.removeDir('/loop', { recursive: true })),
        TreeTooDeepError,
        'ERR_FTPS_TREE_TOO_DEEP',
      );
      assert.equal(err.path, '/loop/sub/sub');
      assert.deepEqual(
        server.commands.filter((c) => c.startsWith('MLSD')),
        ['MLSD /loop', 'MLSD /loop/sub'],
      );
      assert.ok(!server.commands.some((c) => c.startsWith('RMD')));
    });
  });
});
