// Stopping transfers early against real servers (vsftpd, proftpd + mod_tls, pure-ftpd), explicit
// TLS 1.2 and 1.3: range downloads (TransferExtras.length) stop after exactly their bytes with the
// control connection in step. In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { resolveOptions } from '../../src/options.js';
import { downloadRange } from '../../src/session/files.js';
import { openSession } from '../../src/session/handshake.js';
import { fileSize } from '../../src/session/metadata.js';
import type { Session } from '../../src/session/session.js';
import { chownToServerUser, startRealServer, type RealServer, type ServerKind, type TlsVersion } from '../servers/real.js';
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
    describe(`${kind} explicit TLS ${tlsVersion}: range downloads stop at their length`, { skip: skipReason(kind) }, () => {
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
          assert.equal(sha256(sink.bytes), sha256(file.subarray(range.offset, range.offset + range.length)), `range ${range.offset}+${range.length}`);
          // The next command gets its own answer, not a late reply of the stopped RETR.
          assert.equal(await fileSize(session, 'big.bin'), file.length);
        }
      });
    });
  }
}
