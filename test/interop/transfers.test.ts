// Backup-grade transfers against real servers (vsftpd, proftpd + mod_tls + mod_digest, pure-ftpd),
// explicit TLS 1.3, plus resume in implicit mode: streams, resume, progress, verify, atomic, results.
// In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure, never a skip.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { FtpsClient, type ProgressEvent } from '../../src/index.js';
import { collect } from '../helpers/streams.js';
import { chownToServerUser, startRealServer, type RealServer, type ServerKind, type TlsMode } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];
/** Servers that refuse a data connection without TLS session reuse (so reuse must be true). */
const ENFORCES_REUSE: Record<ServerKind, boolean> = { vsftpd: true, proftpd: true, pureftpd: false };
/** Hash commands each server offers (FEAT), as configured by test/servers/real.ts. */
const OFFERS_HASH: Record<ServerKind, boolean> = { vsftpd: false, proftpd: true, pureftpd: false };

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function putOnServer(server: RealServer, name: string, data: Buffer): Promise<void> {
  writeFileSync(join(server.root, name), data);
  await chownToServerUser(join(server.root, name));
}

function suite(kind: ServerKind, mode: TlsMode, only: 'all' | 'resume'): void {
  describe(
    `${kind} ${mode} TLS 1.3: transfers (${only === 'all' ? 'streams, resume, progress, verify, atomic' : 'resume'})`,
    { skip: skipReason(kind) },
    () => {
      let server: RealServer;
      let client: FtpsClient;
      let local: string;
      before(async () => {
        server = await startRealServer({ kind, mode, tlsVersion: '1.3' });
        client = await FtpsClient.connect(clientOptions(server));
        local = mkdtempSync(join(tmpdir(), `ftps-transfers-${kind}-`));
      });
      after(async () => {
        await client?.close();
        await server?.stop();
        if (local !== undefined) rmSync(local, { recursive: true, force: true });
      });

      it('resumes a download from a partial local file: byte-identical, REST offset reported', async () => {
        const data = randomBytes(1_000_000 + 123);
        await putOnServer(server, 'resume-down.bin', data);
        const file = join(local, 'resume-down.bin');
        writeFileSync(file, data.subarray(0, 400_000));
        const result = await client.download('resume-down.bin', file, { resume: true, verify: true });
        assert.equal(result.resumedFrom, 400_000);
        assert.equal(result.bytes, data.length - 400_000);
        assert.equal(result.reply.code, 226);
        assert.equal(result.verified.size, true);
        assert.ok(readFileSync(file).equals(data), 'resumed download equals the file');
        if (ENFORCES_REUSE[kind]) assert.equal(result.tlsSessionReused, true);
      });

      it('resumes an upload after the remote part (SIZE, REST + STOR): byte-identical', async () => {
        const data = randomBytes(1_000_000 + 77);
        await putOnServer(server, 'resume-up.bin', data.subarray(0, 300_000));
        const src = join(local, 'resume-up.bin');
        writeFileSync(src, data);
        const result = await client.upload(src, 'resume-up.bin', { resume: true, verify: true });
        assert.equal(result.resumedFrom, 300_000);
        assert.equal(result.bytes, data.length - 300_000);
        assert.equal(result.verified.size, true);
        assert.ok(readFileSync(join(server.root, 'resume-up.bin')).equals(data), 'resumed upload equals the file');
        if (OFFERS_HASH[kind]) assert.equal(result.verified.hash?.value, sha256(data));
      });

      if (only === 'resume') return;

      it('streams: createWriteStream then createReadStream (whole, from an offset), APPE; connection usable', async () => {
        const data = randomBytes(2_000_000 + 5);
        const ws = client.createWriteStream('stream.bin');
        await pipeline(Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000)]), ws);
        const up = await ws.result;
        assert.equal(up.bytes, data.length);
        assert.equal(up.reply.code, 226);
        assert.ok(readFileSync(join(server.root, 'stream.bin')).equals(data));

        const sink = collect();
        const rs = client.createReadStream('stream.bin');
        await pipeline(rs, sink.stream);
        assert.ok(sink.bytes().equals(data));
        assert.equal((await rs.result).bytes, data.length);

        const tail = collect();
        await pipeline(client.createReadStream('stream.bin', { start: 1_500_000 }), tail.stream);
        assert.ok(tail.bytes().equals(data.subarray(1_500_000)));

        const more = randomBytes(1000);
        await pipeline(Readable.from([more]), client.createWriteStream('stream.bin', { append: true }));
        assert.ok(readFileSync(join(server.root, 'stream.bin')).equals(Buffer.concat([data, more])));
        assert.equal(await client.pwd(), '/');
        await client.remove('stream.bin');
      });

      it('progress: throttled events with total, one final event at the full size', async () => {
        const data = randomBytes(3_000_000);
        for (const direction of ['upload', 'download'] as const) {
          const events: ProgressEvent[] = [];
          const onProgress = (e: ProgressEvent): number => events.push(e);
          if (direction === 'upload') await client.upload(data, 'progress.bin', { onProgress });
          else await client.download('progress.bin', collect().stream, { onProgress });
          const last = events.at(-1);
          assert.equal(last?.done, true);
          assert.equal(last?.bytes, data.length);
          assert.equal(last?.total, data.length);
          assert.equal(last?.name, 'progress.bin');
          assert.equal(events.filter((e) => e.done).length, 1);
        }
        await client.remove('progress.bin');
      });

      it(`verify: size${OFFERS_HASH[kind] ? ' and SHA-256 over HASH' : ' only (no hash command offered)'}`, async () => {
        const data = randomBytes(700_001);
        const up = await client.upload(data, 'verify.bin', { verify: true });
        const down = await client.download('verify.bin', collect().stream, { verify: true });
        for (const r of [up, down]) {
          assert.equal(r.verified.size, true);
          if (OFFERS_HASH[kind])
            assert.deepEqual(r.verified.hash, { algorithm: 'SHA-256', value: sha256(data), command: 'HASH' });
          else {
            assert.equal(r.verified.hash, undefined);
            assert.match(r.verified.hashSkipped ?? '', /no usable hash command/);
          }
        }
        await client.remove('verify.bin');
      });

      if (OFFERS_HASH[kind]) {
        it('verify: each X-command (XSHA256, XSHA1, XMD5, XCRC) and HASH with MD5/CRC32 agree with the streamed hash', async () => {
          const data = randomBytes(300_000);
          const cases = [
            { hashCommands: ['X'], algorithms: ['SHA-256'], want: ['SHA-256', 'XSHA256'] },
            { hashCommands: ['X'], algorithms: ['SHA-1'], want: ['SHA-1', 'XSHA1'] },
            { hashCommands: ['X'], algorithms: ['MD5'], want: ['MD5', 'XMD5'] },
            { hashCommands: ['X'], algorithms: ['CRC32'], want: ['CRC32', 'XCRC'] },
            { hashCommands: ['HASH'], algorithms: ['MD5'], want: ['MD5', 'HASH'] },
            { hashCommands: ['HASH'], algorithms: ['CRC32'], want: ['CRC32', 'HASH'] },
          ] as const;
          for (const c of cases) {
            const r = await client.upload(data, 'x.bin', {
              verify: { hashCommands: c.hashCommands, algorithms: c.algorithms },
            });
            assert.equal(r.verified.hash?.algorithm, c.want[0]);
            assert.equal(r.verified.hash?.command, c.want[1]);
          }
          await client.remove('x.bin');
        });
      }

      it('atomic upload: replaces the target via a temporary name; an aborted atomic upload leaves the target and no temp', async () => {
        const old = Buffer.from('previous version\n');
        await putOnServer(server, 'atomic.bin', old);
        const data = randomBytes(1_500_000);
        const result = await client.upload(data, 'atomic.bin', { atomic: true, verify: true });
        assert.equal(result.reply.code, 226);
        assert.ok(readFileSync(join(server.root, 'atomic.bin')).equals(data));
        assert.deepEqual(
          readdirSync(server.root).filter((n) => n.includes('atomic')),
          ['atomic.bin'],
        );

        // A source that sends 2 MB, then aborts the upload and never ends by itself.
        const controller = new AbortController();
        async function* slowSource(): AsyncGenerator<Buffer> {
          yield randomBytes(1_000_000);
          yield randomBytes(1_000_000);
          await new Promise((r) => setTimeout(r, 200));
          controller.abort(new Error('stop here'));
          await new Promise((r) => setTimeout(r, 60_000).unref());
        }
        const failing = client.upload(Readable.from(slowSource()), 'atomic.bin', {
          atomic: true,
          signal: controller.signal,
        });
        await assert.rejects(failing, /stop here/);
        assert.equal(await client.pwd(), '/'); // runs after the aborted task's clean-up
        assert.ok(readFileSync(join(server.root, 'atomic.bin')).equals(data), 'target untouched');
        assert.deepEqual(
          readdirSync(server.root).filter((n) => n.includes('atomic')),
          ['atomic.bin'],
          'temporary file removed',
        );
        await client.remove('atomic.bin');
      });

      it('results: bytes, duration, resumedFrom, verification and TLS session reuse are reported', async () => {
        const data = randomBytes(100_000);
        const r = await client.upload(data, 'result.bin');
        assert.equal(r.bytes, data.length);
        assert.ok(r.durationMs > 0);
        assert.equal(r.resumedFrom, 0);
        assert.deepEqual(r.verified, { size: 'skipped' });
        assert.equal(typeof r.tlsSessionReused, 'boolean');
        if (ENFORCES_REUSE[kind]) assert.equal(r.tlsSessionReused, true);
        assert.equal(r.reply.code, 226);
        await client.remove('result.bin');
      });
    },
  );
}

for (const kind of KINDS) suite(kind, 'explicit', 'all');
suite('proftpd', 'implicit', 'resume');
suite('vsftpd', 'implicit', 'resume');
