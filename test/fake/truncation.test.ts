// A protected data stream that ends without TLS close_notify (a plain FIN, or a cut in the middle
// of a record) followed by a 226 is the TLS truncation attack (RFC 4217 §10): the client must
// report ERR_FTPS_TRUNCATED, never a partial file or listing as complete, and stay usable.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pipeline } from 'node:stream/promises';
import { createPool, TruncatedTransferError } from '../../src/index.js';
import type { FaultAction } from '../helpers/fake-server.js';
import { assertFtpsError, optionsFor, rejection, Sink, withServer } from './support.js';

const CUTS: FaultAction[] = ['truncate', 'truncate-mid-record'];
const freshDir = (): string => mkdtempSync(join(tmpdir(), 'ftps-trunc-'));

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  for (const action of CUTS) {
    describe(`a data stream cut without close_notify (${action}, ${version})`, () => {
      const server = { mode: 'explicit' as const, minVersion: version, maxVersion: version };

      it('download() to a stream rejects with ERR_FTPS_TRUNCATED; the client stays usable', async () => {
        await withServer(server, async (h) => {
          h.server.fs.writeFile('/big.bin', Buffer.alloc(100_000, 7));
          const c = await h.connect();
          h.server.nextTransfer({ after: { bytes: 40_000, action } });
          const sink = new Sink();
          assertFtpsError(await rejection(c.download('/big.bin', sink)), TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
          assert.ok(sink.bytes.length < 100_000);
          const whole = new Sink();
          await c.download('/big.bin', whole);
          assert.equal(whole.bytes.length, 100_000);
        });
      });

      it('download() to a path leaves an existing file untouched and creates no new one', async () => {
        await withServer(server, async (h) => {
          h.server.fs.writeFile('/big.bin', Buffer.alloc(100_000, 7));
          const c = await h.connect();
          const dir = freshDir();
          writeFileSync(join(dir, 'old.bin'), 'previous content');
          h.server.nextTransfer({ after: { bytes: 40_000, action } });
          assertFtpsError(
            await rejection(c.download('/big.bin', join(dir, 'old.bin'))),
            TruncatedTransferError,
            'ERR_FTPS_TRUNCATED',
          );
          h.server.nextTransfer({ after: { bytes: 40_000, action } });
          assertFtpsError(
            await rejection(c.download('/big.bin', join(dir, 'new.bin'))),
            TruncatedTransferError,
            'ERR_FTPS_TRUNCATED',
          );
          assert.equal(readFileSync(join(dir, 'old.bin'), 'utf8'), 'previous content');
          assert.deepEqual(readdirSync(dir), ['old.bin']);
          await c.download('/big.bin', join(dir, 'old.bin'));
          assert.equal(readFileSync(join(dir, 'old.bin')).length, 100_000);
          assert.deepEqual(readdirSync(dir), ['old.bin']);
        });
      });

      it('createReadStream fails instead of ending', async () => {
        await withServer(server, async (h) => {
          h.server.fs.writeFile('/big.bin', Buffer.alloc(100_000, 7));
          const c = await h.connect();
          h.server.nextTransfer({ after: { bytes: 40_000, action } });
          const stream = c.createReadStream('/big.bin');
          assertFtpsError(await rejection(pipeline(stream, new Sink())), TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
          await stream.result.catch(() => undefined);
          assert.equal((await c.list('/')).length, 1);
        });
      });

      it('list() and listIter reject instead of returning part of the listing', async () => {
        await withServer(server, async (h) => {
          for (let i = 0; i < 300; i++) h.server.fs.writeFile(`/d/file-with-a-longish-name-${i}.txt`, Buffer.from('x'));
          const c = await h.connect();
          h.server.nextTransfer({ after: { bytes: 5_000, action } });
          assertFtpsError(await rejection(c.list('/d')), TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
          h.server.nextTransfer({ after: { bytes: 5_000, action } });
          const seen: string[] = [];
          const iterate = async (): Promise<void> => {
            for await (const entry of c.listIter('/d')) seen.push(entry.name);
          };
          assertFtpsError(await rejection(iterate()), TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
          assert.equal((await c.list('/d')).length, 300);
        });
      });
    });
  }
}

describe('a truncated listing is never acted on', () => {
  it('mirror download with delete: a truncated listing deletes nothing and the run fails', async () => {
    await withServer({ mode: 'explicit' }, async (h) => {
      const local = freshDir();
      for (let i = 0; i < 100; i++) {
        const name = `file-number-${String(i).padStart(3, '0')}.txt`;
        h.server.fs.writeFile(`/m/${name}`, Buffer.from(`content ${i}`));
        writeFileSync(join(local, name), `content ${i}`);
      }
      // Every listing of /m is cut after 2 kB (no retry can get the whole one).
      for (const verb of ['MLSD', 'LIST'])
        h.server.hook(verb, (ctx) => ctx.next({ transfer: { after: { bytes: 2_000, action: 'truncate' } } }));
      const pool = createPool(optionsFor(h.server), { size: 2 });
      try {
        const outcome = await pool.mirror({ direction: 'download', local, remote: '/m', delete: true }).then(
          (result) => ({ result }),
          (err: unknown) => ({ err }),
        );
        if ('err' in outcome) assertFtpsError(outcome.err, TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
        else assert.equal(outcome.result.ok, false, 'a run over a truncated listing must not report success');
        assert.equal(readdirSync(local).length, 100, 'no local file may be deleted');
        for (let i = 0; i < 100; i++)
          assert.ok(existsSync(join(local, `file-number-${String(i).padStart(3, '0')}.txt`)));
      } finally {
        await pool.close();
      }
    });
  });
});

describe('the size announced in the 150 reply', () => {
  it('a shorter stream is ERR_FTPS_TRUNCATED, also on plain FTP; the full size passes', async () => {
    await withServer({ mode: 'plain' }, async (h) => {
      h.server.fs.writeFile('/f.bin', Buffer.alloc(50_000, 1));
      const c = await h.connect();
      const preliminary = '150 Opening BINARY mode data connection for /f.bin (50000 bytes).';
      h.server.nextTransfer({ preliminary, after: { bytes: 20_000, action: 'truncate' } });
      const err = assertFtpsError(
        await rejection(c.download('/f.bin', new Sink())),
        TruncatedTransferError,
        'ERR_FTPS_TRUNCATED',
      );
      assert.match(err.message, /20000 of the 50000 bytes/);
      h.server.nextTransfer({ preliminary });
      const sink = new Sink();
      await c.download('/f.bin', sink);
      assert.equal(sink.bytes.length, 50_000);
    });
  });
});
