// Early data TLS (session/data-early.ts): the handshake starts with the transfer command; a server
// that refuses bytes before the command ('strict') makes the session fall back to TLS after the 1xx,
// and the refused transfer is retried once without the caller noticing.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { FtpReplyError } from '../../src/index.js';
import { LIMIT, random, Sink, verbs, withServer } from './support.js';
import { transfersDuring } from '../helpers/diagnostics.js';

describe('early data TLS', () => {
  it('a server that handshakes after reading the command gets the ClientHello early, every time', LIMIT, async () => {
    const file = random(64_000);
    await withServer({ mode: 'explicit', files: { '/f.bin': file } }, async ({ server, connect }) => {
      const client = await connect();
      const ends = await transfersDuring(async () => {
        const sink = new Sink();
        await client.download('/f.bin', sink);
        assert.ok(sink.bytes.equals(file));
        await client.upload(random(10_000), '/u.bin');
        await client.list('/');
      });
      assert.deepEqual(
        ends.map((m) => m.dataTls),
        ['early', 'early', 'early'],
      );
      assert.deepEqual(server.dataReuse, [true, true, true]);
      assert.deepEqual(
        verbs(server).filter((v) => v === 'RETR' || v === 'STOR'),
        ['RETR', 'STOR'],
      );
    });
  });

  for (const first of ['download', 'upload from a stream', 'list'] as const) {
    it(
      `strict server (bare 425), ${first} first: refused twice, each retried after the 1xx, then the session keeps that order`,
      LIMIT,
      async () => {
        const file = random(100_000);
        const up = random(80_000);
        await withServer(
          { mode: 'explicit', dataTls: 'strict', files: { '/f.bin': file } },
          async ({ server, connect }) => {
            const client = await connect();
            const ends = await transfersDuring(async () => {
              if (first === 'download') {
                const sink = new Sink();
                await client.download('/f.bin', sink);
                assert.ok(sink.bytes.equals(file));
              } else if (first === 'upload from a stream') {
                // A stream cannot be replayed: the retry is only correct because nothing was read from it.
                await client.upload(Readable.from([up.subarray(0, 30_000), up.subarray(30_000)]), '/u.bin');
                assert.ok(server.files.get('/u.bin')?.equals(up));
              } else assert.equal((await client.list('/')).length, 1);
              for (let i = 0; i < 2; i++) {
                const sink = new Sink();
                await client.download('/f.bin', sink);
                assert.ok(sink.bytes.equals(file));
              }
            });
            // A bare 425 could be a fault on the way (proftpd answers a reset so): learnt the second time.
            assert.equal(server.violations.length, 2, 'an early ClientHello on the first two transfers only');
            assert.deepEqual(
              ends.map((m) => [m.dataTls, m.error]),
              [
                ['after-1xx', undefined],
                ['after-1xx', undefined],
                ['after-1xx', undefined],
              ],
            );
            const verb = first === 'download' ? 'RETR' : first === 'list' ? 'MLSD' : 'STOR';
            assert.deepEqual(
              verbs(server).filter((v) => ['RETR', 'STOR', 'MLSD', 'EPSV'].includes(v)),
              ['EPSV', verb, 'EPSV', verb, 'EPSV', 'RETR', 'EPSV', 'RETR', 'EPSV', 'RETR'],
            );
          },
        );
      },
    );
  }

  it('a reconnected session learns again; an error reply is not mistaken for a refusal', LIMIT, async () => {
    await withServer(
      { mode: 'explicit', dataTls: 'strict', files: { '/f.bin': random(1000) } },
      async ({ server, connect }) => {
        const client = await connect();
        await assert.rejects(
          client.download('/missing.bin', new Sink()),
          (e: unknown) => e instanceof FtpReplyError && e.replyCode === 550,
        );
        assert.equal(verbs(server).filter((v) => v === 'RETR').length, 1, 'a 550 is not retried');
        await client.download('/f.bin', new Sink());
        await client.close();
        const again = await connect();
        await again.download('/f.bin', new Sink());
        assert.equal(server.violations.length, 2, 'one refused early handshake per session');
      },
    );
  });

  it('plain FTP has no data TLS to start', LIMIT, async () => {
    await withServer({ mode: 'plain', files: { '/f.bin': random(1000) } }, async ({ connect }) => {
      const client = await connect();
      const ends = await transfersDuring(() => client.download('/f.bin', new Sink()).then(() => undefined));
      assert.deepEqual(
        ends.map((m) => m.dataTls),
        [undefined],
      );
    });
  });
});
