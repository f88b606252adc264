// Interop with real servers from Debian (vsftpd, proftpd + mod_tls, pure-ftpd), started by
// test/servers/real.ts on 127.0.0.1: every mode each server supports x TLS 1.2 and 1.3.
// In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure, never a skip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FtpReplyError, FtpsClient } from '../../src/index.js';
import { collect } from '../helpers/streams.js';
import {
  startRealServer,
  supports,
  type RealServer,
  type ServerKind,
  type TlsMode,
  type TlsVersion,
} from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];
const MODES: TlsMode[] = ['explicit', 'implicit'];
const VERSIONS: TlsVersion[] = ['1.2', '1.3'];
/** Servers that can be told to refuse a data connection that does not resume the TLS session. */
const ENFORCES_REUSE: Record<ServerKind, boolean> = { vsftpd: true, proftpd: true, pureftpd: false };
for (const kind of KINDS) {
  for (const mode of MODES) {
    if (!supports(kind, mode)) continue;
    for (const tlsVersion of VERSIONS) {
      describe(`${kind} ${mode} TLS ${tlsVersion}`, { skip: skipReason(kind) }, () => {
        let server: RealServer;
        let client: FtpsClient;
        before(async () => {
          server = await startRealServer({ kind, mode, tlsVersion });
          client = await FtpsClient.connect(clientOptions(server));
        });
        after(async () => {
          await client?.close();
          await server?.stop();
        });

        it('negotiates the pinned TLS version on the control connection', () => {
          assert.equal(client.tls?.protocol, `TLSv${tlsVersion}`);
          assert.equal(client.tls?.authorized, true);
          assert.equal(client.tls?.peerCertificate.subject.CN, 'localhost');
        });

        it('uploads, lists, downloads identical bytes, renames and deletes', async () => {
          const data = randomBytes(300_000 + 17);
          const up = await client.upload(data, 'interop.bin');
          assert.equal(up.bytes, data.length);
          assert.equal(up.reply.code, 226);
          if (ENFORCES_REUSE[kind]) assert.equal(up.tlsSessionReused, true);
          assert.ok(
            readFileSync(join(server.root, 'interop.bin')).equals(data),
            'file on the server equals the upload',
          );

          const names = (await client.list()).map((e) => `${e.type}:${e.name}:${e.size}`);
          assert.ok(names.includes(`file:interop.bin:${data.length}`), names.join(', '));
          assert.equal(await client.size('interop.bin'), data.length);
          const mtime = await client.lastModified('interop.bin');
          assert.ok(Math.abs(mtime.getTime() - Date.now()) < 5 * 60_000, `MDTM ${mtime.toISOString()} is about now`);

          const sink = collect();
          const down = await client.download('interop.bin', sink.stream);
          assert.equal(down.bytes, data.length);
          assert.ok(sink.bytes().equals(data), 'downloaded bytes equal the upload');
          if (ENFORCES_REUSE[kind]) assert.equal(down.tlsSessionReused, true);

          await client.rename('interop.bin', 'renamed.bin');
          const after = (await client.list()).map((e) => e.name);
          assert.ok(after.includes('renamed.bin') && !after.includes('interop.bin'), after.join(', '));
          await client.remove('renamed.bin');
          assert.ok(!(await client.list()).some((e) => e.name === 'renamed.bin'));
        });

        it('makes, enters and removes a folder; transfers local files', async () => {
          await client.mkdir('sub dir');
          await client.cd('sub dir');
          assert.equal(await client.pwd(), '/sub dir');
          const local = mkdtempSync(join(tmpdir(), 'ftps-interop-'));
          try {
            const src = join(local, 'src.txt');
            writeFileSync(src, 'héllo wörld\n'.repeat(1000));
            await client.upload(src, 'ünïcode.txt');
            await client.download('ünïcode.txt', join(local, 'back.txt'));
            assert.ok(readFileSync(join(local, 'back.txt')).equals(readFileSync(src)));
            assert.deepEqual(
              (await client.list()).map((e) => e.name),
              ['ünïcode.txt'],
            );
            await client.remove('ünïcode.txt');
          } finally {
            rmSync(local, { recursive: true, force: true });
          }
          await client.cd('/');
          await client.rmdir('sub dir');
        });

        it('reports a missing file as a 550 reply and stays usable', async () => {
          await assert.rejects(client.download('does-not-exist.bin', collect().stream), (err: unknown) => {
            assert.ok(err instanceof FtpReplyError, String(err));
            assert.equal(err.code, 'ERR_FTPS_REPLY');
            assert.ok(err.replyCode >= 450 && err.replyCode < 600, String(err.replyCode));
            return true;
          });
          assert.equal(await client.pwd(), '/');
        });
      });
    }
  }
}

describe('vsftpd TLS 1.3: 40 consecutive 256 KiB uploads stay intact', { skip: skipReason('vsftpd') }, () => {
  for (const mode of MODES) {
    it(`${mode} mode`, async () => {
      const server = await startRealServer({ kind: 'vsftpd', mode, tlsVersion: '1.3' });
      const client = await FtpsClient.connect(clientOptions(server));
      try {
        const files: Buffer[] = [];
        for (let i = 0; i < 40; i++) {
          const data = randomBytes(256 * 1024);
          files.push(data);
          const result = await client.upload(data, `up-${i}.bin`);
          assert.equal(result.reply.code, 226);
          assert.equal(result.tlsSessionReused, true);
        }
        files.forEach((data, i) =>
          assert.ok(readFileSync(join(server.root, `up-${i}.bin`)).equals(data), `up-${i}.bin intact`),
        );
      } finally {
        await client.close();
        await server.stop();
      }
    });
  }
});

describe('servers refuse what they must', { skip: skipReason('vsftpd') }, () => {
  it('vsftpd refuses a plain-FTP login when TLS is required', async () => {
    const server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
    try {
      await assert.rejects(FtpsClient.connect({ ...clientOptions(server), secure: false }), (err: unknown) => {
        assert.ok(err instanceof FtpReplyError, String(err));
        assert.equal(err.replyCode, 530);
        return true;
      });
    } finally {
      await server.stop();
    }
  });
});
