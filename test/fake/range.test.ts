// The range-stop primitive (TransferExtras.length, session/files.ts downloadRange): a RETR that
// stops after exactly `length` bytes from `restOffset`, counts as complete whatever the server
// answers to the stopped transfer, and leaves the control connection in step for the next command.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TruncatedTransferError } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { downloadRange } from '../../src/session/files.js';
import { openSession } from '../../src/session/handshake.js';
import { fileSize } from '../../src/session/metadata.js';
import type { Session } from '../../src/session/session.js';
import { FakeFtpServer, type FakeServerOptions } from '../helpers/fake-server.js';
import { assertFtpsError, optionsFor, random, rejection, Sink } from './support.js';

async function withSession(
  opts: FakeServerOptions,
  fn: (server: FakeFtpServer, session: Session) => Promise<void>,
): Promise<void> {
  const server = new FakeFtpServer(opts);
  await server.start();
  const session = await openSession(resolveOptions(optionsFor(server)));
  try {
    await fn(server, session);
  } finally {
    await session.control.quit(1000);
    await server.waitForIdle(2000).finally(() => server.close());
  }
}

const FILE = random(1_000_000);

for (const mode of ['explicit', 'plain'] as const) {
  describe(`range downloads (${mode})`, () => {
    it('a range in the middle: exactly its bytes; the same connection then lists and downloads', async () => {
      await withSession({ mode }, async (server, session) => {
        server.fs.writeFile('/f.bin', FILE);
        const sink = new Sink();
        const outcome = await downloadRange(session, '/f.bin', sink, { offset: 300_000, length: 200_001 });
        assert.equal(outcome.bytes, 200_001);
        assert.ok(sink.bytes.equals(FILE.subarray(300_000, 500_001)));
        assert.equal(await fileSize(session, '/f.bin'), FILE.length); // the next command gets its own answer
        const again = new Sink();
        await downloadRange(session, '/f.bin', again, { offset: 0, length: 10 });
        assert.ok(again.bytes.equals(FILE.subarray(0, 10)));
        assert.deepEqual(server.violations, []);
      });
    });

    it('a range that ends with the file, and one of a single byte', async () => {
      await withSession({ mode }, async (server, session) => {
        server.fs.writeFile('/f.bin', FILE);
        const tail = new Sink();
        await downloadRange(session, '/f.bin', tail, { offset: 900_000, length: 100_000 });
        assert.ok(tail.bytes.equals(FILE.subarray(900_000)));
        const one = new Sink();
        await downloadRange(session, '/f.bin', one, { offset: 123_456, length: 1 });
        assert.ok(one.bytes.equals(FILE.subarray(123_456, 123_457)));
        assert.equal(await fileSize(session, '/f.bin'), FILE.length);
      });
    });

    for (const final of [
      '426 Connection closed; transfer aborted.',
      '451 Local error in processing.',
      '226 Transfer complete.',
    ]) {
      it(`complete whatever the stopped RETR is answered with (${final.slice(0, 3)})`, async () => {
        await withSession({ mode }, async (server, session) => {
          server.fs.writeFile('/f.bin', FILE);
          server.nextTransfer({ finalReply: final });
          const sink = new Sink();
          await downloadRange(session, '/f.bin', sink, { offset: 1000, length: 5000 });
          assert.ok(sink.bytes.equals(FILE.subarray(1000, 6000)));
          assert.equal(await fileSize(session, '/f.bin'), FILE.length);
        });
      });
    }

    it('fewer bytes than the length (the file ends first) is ERR_FTPS_TRUNCATED; the connection stays usable', async () => {
      await withSession({ mode }, async (server, session) => {
        server.fs.writeFile('/f.bin', FILE);
        const err = await rejection(downloadRange(session, '/f.bin', new Sink(), { offset: 999_000, length: 2000 }));
        assertFtpsError(err, TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
        assert.equal(await fileSize(session, '/f.bin'), FILE.length);
      });
    });

    it('a data connection cut before the length is an error, never a complete range', async () => {
      await withSession({ mode }, async (server, session) => {
        server.fs.writeFile('/f.bin', FILE);
        server.nextTransfer({ after: { bytes: 100_000, action: 'reset' } });
        await rejection(downloadRange(session, '/f.bin', new Sink(), { offset: 0, length: 500_000 }));
        assert.equal(await fileSize(session, '/f.bin'), FILE.length);
      });
    });

    it('a length that is not a positive integer is a RangeError before anything is sent', async () => {
      await withSession({ mode }, async (server, session) => {
        const before = server.commands.length;
        for (const length of [0, -1, 1.5, Number.NaN]) {
          await assert.rejects(downloadRange(session, '/f.bin', new Sink(), { offset: 0, length }), RangeError);
        }
        assert.equal(server.commands.length, before);
      });
    });
  });
}
