// Stopping transfers early against real servers (vsftpd, proftpd + mod_tls, pure-ftpd), explicit
// TLS 1.2 and 1.3: range downloads (TransferExtras.length) stop after exactly their bytes, and an
// aborted download or upload (reset + ABOR + NOOP) leaves the client usable, with the control
// connection in step. In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import diagnostics_channel from 'node:diagnostics_channel';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FtpsClient } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { downloadRange } from '../../src/session/files.js';
import { openSession } from '../../src/session/handshake.js';
import { fileSize } from '../../src/session/metadata.js';
import type { Session } from '../../src/session/session.js';
import {
  chownToServerUser,
  startRealServer,
  type RealServer,
  type ServerKind,
  type TlsVersion,
} from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

class Collect extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

for (const kind of KINDS) {
  for (const tlsVersion of ['1.2', '1.3'] as TlsVersion[]) {
    describe(
      `${kind} explicit TLS ${tlsVersion}: range downloads stop at their length`,
      { skip: skipReason(kind) },
      () => {
        const file = randomBytes(8 * 1024 * 1024);
        let server: RealServer;
        let session: Session;
        before(async () => {
          server = await startRealServer({ kind, mode: 'explicit', tlsVersion });
          writeFileSync(join(server.root, 'big.bin'), file);
          await chownToServerUser(join(server.root, 'big.bin'));
          session = await openSession(resolveOptions(clientOptions(server)));
        });
        after(async () => {
          await session?.control.quit(2000);
          await server?.stop();
        });

        it('ranges in the middle, at the start and at the end: exactly their bytes, the connection in step after each', async () => {
          const ranges = [
            { offset: 3_000_000, length: 1_000_001 },
            { offset: 0, length: 65_536 },
            { offset: file.length - 100_000, length: 100_000 },
            { offset: 5_555_555, length: 1 },
          ];
          for (const range of ranges) {
            const sink = new Collect();
            const outcome = await downloadRange(session, 'big.bin', sink, range);
            assert.equal(outcome.bytes, range.length);
            assert.equal(
              sha256(sink.bytes),
              sha256(file.subarray(range.offset, range.offset + range.length)),
              `range ${range.offset}+${range.length}`,
            );
            // The next command gets its own answer, not a late reply of the stopped RETR.
            assert.equal(await fileSize(session, 'big.bin'), file.length);
          }
        });
      },
    );
  }
}

/** Replies seen on the diagnostics channel while `fn` runs. */
async function withReplies<T>(fn: (replies: { code: number; text: string }[]) => Promise<T>): Promise<T> {
  const replies: { code: number; text: string }[] = [];
  const onReply = (m: unknown): void => void replies.push(m as { code: number; text: string });
  diagnostics_channel.subscribe('ftps-client:reply', onReply);
  try {
    return await fn(replies);
  } finally {
    diagnostics_channel.unsubscribe('ftps-client:reply', onReply);
  }
}

for (const kind of KINDS) {
  for (const tlsVersion of ['1.2', '1.3'] as TlsVersion[]) {
    describe(`${kind} explicit TLS ${tlsVersion}: aborting transfers in flight`, { skip: skipReason(kind) }, () => {
      const file = randomBytes(64 * 1024 * 1024);
      let server: RealServer;
      let client: FtpsClient;
      before(async () => {
        server = await startRealServer({ kind, mode: 'explicit', tlsVersion });
        writeFileSync(join(server.root, 'big.bin'), file);
        await chownToServerUser(join(server.root, 'big.bin'));
        client = await FtpsClient.connect(clientOptions(server));
      });
      after(async () => {
        await client?.close();
        await server?.stop();
      });

      it("data connections of downloads and listings end with the server's TLS close_notify", async () => {
        const ends: { command: string; closeNotify: boolean | undefined }[] = [];
        const onEnd = (m: unknown): void => void ends.push(m as { command: string; closeNotify: boolean | undefined });
        diagnostics_channel.subscribe('ftps-client:transfer:end', onEnd);
        try {
          await client.download('big.bin', new Collect());
          await client.list();
        } finally {
          diagnostics_channel.unsubscribe('ftps-client:transfer:end', onEnd);
        }
        assert.equal(ends.length, 2, JSON.stringify(ends));
        for (const end of ends) assert.equal(end.closeNotify, true, `${end.command}: ${String(end.closeNotify)}`);
      });

      it('a large download aborted mid-way rejects with the reason; list() and download() on the same client then work', async () => {
        const controller = new AbortController();
        const reason = new Error('caller gave up');
        let got = 0;
        const sink = new Writable({
          write(chunk: Buffer, _enc, cb) {
            got += chunk.length;
            if (got >= 4 * 1024 * 1024) controller.abort(reason);
            cb();
          },
        });
        await assert.rejects(client.download('big.bin', sink, { signal: controller.signal }), (err) => err === reason);
        assert.ok(got < file.length, 'the abort came mid-way');
        assert.ok((await client.list()).some((e) => e.name === 'big.bin'));
        const whole = new Collect();
        await client.download('big.bin', whole);
        assert.equal(sha256(whole.bytes), sha256(file));
      });

      it('a large upload aborted mid-way rejects with the reason, the server reports it failed; list() and download() then work', async (t) => {
        const controller = new AbortController();
        const reason = new Error('caller gave up');
        let sent = 0;
        const chunk = randomBytes(256 * 1024);
        const source = new Readable({
          read() {
            if (sent >= 4 * 1024 * 1024) controller.abort(reason);
            sent += chunk.length;
            this.push(sent > file.length ? null : chunk);
          },
        });
        const name = `up-${tlsVersion}.bin`;
        const replies = await withReplies(async (seen) => {
          await assert.rejects(client.upload(source, name, { signal: controller.signal }), (err) => err === reason);
          await client.pwd(); // queued behind the stopped STOR's replies: in step once it answers
          return seen;
        });
        // Between the STOR's 150 and the NOOP's 200: the STOR's and ABOR's replies, in the server's
        // order (proftpd answers ABOR before the failed STOR). The reset upload is reported failed.
        const codes = replies.map((r) => r.code);
        const stor = codes.indexOf(150);
        const answers = replies.slice(stor + 1, codes.indexOf(200, stor));
        const seen = answers.map((r) => `${r.code} ${r.text}`).join(' | ');
        t.diagnostic(`replies to the aborted STOR and ABOR: ${seen}`);
        assert.ok(stor >= 0 && answers.some((r) => r.code >= 400 && r.code < 500), `replies after STOR: ${seen}`);
        const partial = await client.size(name).catch(() => undefined);
        t.diagnostic(`remote size after the aborted STOR: ${String(partial)} of ${file.length}`);
        assert.ok(partial === undefined || partial < file.length);
        assert.ok((await client.list()).some((e) => e.name === 'big.bin'));
        const whole = new Collect();
        await client.download('big.bin', whole);
        assert.equal(sha256(whole.bytes), sha256(file));
        await client.upload(chunk, name);
        assert.equal(await client.size(name), chunk.length);
      });
    });
  }
}
