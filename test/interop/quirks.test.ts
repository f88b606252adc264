// Server quirks (session/server-quirks.ts) against real servers, explicit TLS 1.2 and 1.3: vsftpd is
// recognised by its greeting and gets the client's close_notify right after the data handshake of
// every download (files, ranges to the end, listings); proftpd and pure-ftpd get none. Either way the
// bytes are right and the server's close_notify ends the stream. A slow sink keeps decrypted bytes
// waiting in the TLS socket when the server's end arrives: with our side already ended, that once
// closed the TLS socket before its 'end' and the download never settled (tls-end.ts, autoDestroy).
// In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure, never a skip.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FtpsClient } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { downloadRange } from '../../src/session/files.js';
import { openSession } from '../../src/session/handshake.js';
import type { Session } from '../../src/session/session.js';
import {
  chownToServerUser,
  startRealServer,
  type RealServer,
  type ServerKind,
  type TlsVersion,
} from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';
import { transfersDuring } from '../helpers/diagnostics.js';

const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Collects what it gets; `slow` takes one chunk per event-loop turn, so the TLS socket buffers. */
class Collect extends Writable {
  readonly chunks: Buffer[] = [];
  constructor(readonly slow = false) {
    super({ highWaterMark: 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    if (this.slow) setImmediate(cb);
    else cb();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

for (const kind of KINDS) {
  for (const tlsVersion of ['1.2', '1.3'] as TlsVersion[]) {
    describe(`${kind} explicit TLS ${tlsVersion}: server quirks`, { skip: skipReason(kind) }, () => {
      const small = randomBytes(4096);
      const big = randomBytes(3 * 1024 * 1024 + 17);
      const early = kind === 'vsftpd';
      let server: RealServer;
      let client: FtpsClient;
      let session: Session;
      before(async () => {
        server = await startRealServer({ kind, mode: 'explicit', tlsVersion });
        writeFileSync(join(server.root, 'small.bin'), small);
        writeFileSync(join(server.root, 'big.bin'), big);
        await chownToServerUser(server.root);
        client = await FtpsClient.connect(clientOptions(server));
        session = await openSession(resolveOptions(clientOptions(server)));
      });
      after(async () => {
        await client?.close();
        await session?.control.quit(2000);
        await server?.stop();
      });

      it(`quirks from the greeting: ${early ? 'vsftpd waits for the client close_notify' : 'none'}`, () => {
        assert.equal(session.quirks.waitsForClientCloseNotify, early);
        assert.equal(session.quirks.server?.startsWith('vsftpd ') ?? false, early);
      });

      it(
        `downloads and listings: ${early ? 'our close_notify right after the handshake' : 'no early close_notify'}, the bytes right`,
        { timeout: 60_000 },
        async () => {
          const sinks = { small: new Collect(), big: new Collect(true) };
          const ends = await transfersDuring(async () => {
            await client.download('small.bin', sinks.small);
            await client.download('big.bin', sinks.big);
            assert.ok((await client.list('/')).some((e) => e.name === 'big.bin'));
          });
          assert.equal(sha256(sinks.small.bytes), sha256(small));
          assert.equal(sha256(sinks.big.bytes), sha256(big));
          assert.equal(ends.length, 3, JSON.stringify(ends.map((e) => e.command)));
          for (const end of ends) {
            assert.equal(end.error, undefined, end.command);
            assert.equal(end.earlyCloseNotify, early, end.command);
            assert.equal(end.closeNotify, true, end.command);
          }
        },
      );

      it(
        'REST to the end of the file into a slow sink, ten times: every byte, the server close_notify',
        { timeout: 60_000 },
        async () => {
          for (let i = 0; i < 10; i++) {
            const offset = big.length - 1_000_000 - i * 65_537;
            const sink = new Collect(true);
            const outcome = await downloadRange(session, 'big.bin', sink, { offset, length: undefined });
            assert.equal(outcome.bytes, big.length - offset);
            assert.equal(sha256(sink.bytes), sha256(big.subarray(offset)), `from ${offset}`);
            assert.equal(outcome.earlyCloseNotify, early);
            assert.equal(outcome.closeNotify, true);
          }
        },
      );
    });
  }
}
