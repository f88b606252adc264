// Backup-grade upload: atomic (temporary name + rename), resumable, verified (SIZE + server hash),
// with progress. Retries after a broken connection continue where the last attempt stopped.
//
//   node --import tsx examples/backup-upload.ts                    # self-started test server; the first
//                                                                  # attempt is cut off on purpose
//   node --import tsx examples/backup-upload.ts --proftpd          # real proftpd (root, test/servers/install.sh)
//   node --import tsx examples/backup-upload.ts ftpes://user:pass@host/ ./backup.tar backups/backup.tar
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtpsClient, FtpsError, VerifyError, type FtpsClientOptions, type ProgressEvent, type TransferResult } from '../src/index.js';
import { FakeFtpServer } from '../test/helpers/fake-server.js';
import { startRealServer } from '../test/servers/real.js';

const ca = readFileSync(new URL('../test/fixtures/tls/ca.pem', import.meta.url));

function showProgress(e: ProgressEvent): void {
  const pct = e.total === undefined ? '' : ` ${((100 * e.bytes) / Math.max(1, e.total)).toFixed(1)}%`;
  process.stdout.write(`\r   ${e.name}: ${e.bytes} B${pct} at ${(e.bytesPerSecond / 1e6).toFixed(1)} MB/s${e.done ? '\n' : ''}`);
}

/** Uploads with retries: each attempt reconnects and resumes the temporary file the last one left. */
async function backup(target: FtpsClientOptions | string, localFile: string, remotePath: string, attempts = 3): Promise<TransferResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      // (Plain try/finally: esbuild's lowering of `await using` inside a loop rethrows an earlier iteration's error.)
      const client = await FtpsClient.connect(target);
      try {
        return await client.upload(localFile, remotePath, { atomic: true, resume: true, verify: true, onProgress: showProgress });
      } finally {
        await client.close();
      }
    } catch (err) {
      // A failed verification is not retried: the data on one side is not what it should be.
      if (err instanceof VerifyError || attempt >= attempts) throw err;
      console.log(`\n   attempt ${attempt} failed (${err instanceof FtpsError ? err.code : String(err)}): retrying with resume`);
    }
  }
}

function report(r: TransferResult): void {
  const hash = r.verified.hash === undefined ? `no hash (${r.verified.hashSkipped ?? 'not asked for'})` : `${r.verified.hash.algorithm} ${r.verified.hash.value} via ${r.verified.hash.command}`;
  console.log(`   sent ${r.bytes} B (resumed from ${r.resumedFrom}) in ${r.durationMs.toFixed(0)} ms; size verified: ${String(r.verified.size)}; ${hash}; TLS session reused: ${String(r.tlsSessionReused)}`);
}

const [first, localArg, remoteArg] = process.argv.slice(2);
if (first !== undefined && first !== '--proftpd') {
  if (localArg === undefined || remoteArg === undefined) throw new Error('usage: backup-upload.ts URL LOCAL_FILE REMOTE_PATH');
  report(await backup(first, localArg, remoteArg));
} else {
  const local = mkdtempSync(join(tmpdir(), 'ftps-backup-'));
  const file = join(local, 'backup.tar');
  writeFileSync(file, randomBytes(8 * 1024 * 1024));
  try {
    if (first === '--proftpd') {
      const s = await startRealServer({ kind: 'proftpd', mode: 'explicit', tlsVersion: '1.3' });
      try {
        console.log(`== proftpd on ${s.host}:${s.port}`);
        report(await backup({ host: s.host, port: s.port, user: s.user, password: s.password, secure: 'explicit', tls: { ca } }, file, 'backup.tar'));
      } finally {
        await s.stop();
      }
    } else {
      // The scripted test server offers HASH SHA-256 and keeps partial uploads like a real server;
      // the first upload is cut off after 3 MB to show the resume.
      const server = new FakeFtpServer({ mode: 'explicit', keepPartialUploads: true, features: ['EPSV', 'SIZE', 'REST STREAM', 'UTF8', 'HASH SHA-256*;SHA-1;MD5'] });
      await server.start();
      server.nextTransfer({ after: { bytes: 3 * 1024 * 1024, action: 'reset-control' } });
      try {
        console.log(`== test server on ${server.host}:${server.port} (first attempt will be cut off)`);
        report(await backup({ host: server.host, port: server.port, user: 'user', password: 'pass', secure: 'explicit', tls: { ca } }, file, 'backup.tar'));
        const same = server.files.get('/backup.tar')?.equals(readFileSync(file)) === true;
        console.log(`   server copy ${same ? 'is byte-identical' : 'DIFFERS'}; files on the server: ${[...server.files.keys()].join(', ')}`);
        process.exitCode = same ? 0 : 1;
      } finally {
        await server.close();
      }
    }
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
}
