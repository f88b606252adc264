// Backup-grade upload: atomic (temporary name + rename), resumable, verified (SIZE + server hash),
// with progress. Retries after a broken connection continue where the last attempt stopped.
//
//   FTPS_URL=ftpes://user:pass@host/ FTPS_CA=ca.pem node backup-upload.ts ./backup.tar backups/backup.tar
//   FTPS_URL=... node backup-upload.ts          # uploads a generated 8 MB sample file
//   node --import tsx test/helpers/run-example.ts examples/backup-upload.ts
//                                               # against the scripted test server, which cuts the
//                                               # first attempt off after 3 MB to show the resume
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  connect,
  FtpsError,
  VerifyError,
  type FtpsClientOptions,
  type ProgressEvent,
  type TransferResult,
} from 'ftps-client';

// The server: ftps:// (implicit TLS) or ftpes:// (explicit), user and password in the URL; FTPS_CA
// names a PEM file with the CA of a server whose certificate is not publicly trusted.
const url = process.env.FTPS_URL;
if (url === undefined) throw new Error('set FTPS_URL=ftpes://user:password@host/');
const overrides: Partial<FtpsClientOptions> =
  process.env.FTPS_CA === undefined ? {} : { tls: { ca: readFileSync(process.env.FTPS_CA) } };

function showProgress(e: ProgressEvent): void {
  const pct = e.total === undefined ? '' : ` ${((100 * e.bytes) / Math.max(1, e.total)).toFixed(1)}%`;
  process.stdout.write(
    `\r   ${e.name}: ${e.bytes} B${pct} at ${(e.bytesPerSecond / 1e6).toFixed(1)} MB/s${e.done ? '\n' : ''}`,
  );
}

/** Uploads with retries: each attempt reconnects and resumes the temporary file the last one left. */
async function backup(localFile: string, remotePath: string, attempts = 3): Promise<TransferResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      // (Plain try/finally: esbuild's lowering of `await using` inside a loop rethrows an earlier iteration's error.)
      const client = await connect(url as string, overrides);
      try {
        return await client.upload(localFile, remotePath, {
          atomic: true,
          resume: true,
          verify: true,
          onProgress: showProgress,
        });
      } finally {
        await client.close();
      }
    } catch (err) {
      // A failed verification is not retried: the data on one side is not what it should be.
      // Match errors on their stable `code` (docs/errors.md).
      if (err instanceof VerifyError || attempt >= attempts) throw err;
      console.log(
        `\n   attempt ${attempt} failed (${err instanceof FtpsError ? err.code : String(err)}): retrying with resume`,
      );
    }
  }
}

/** SHA-256 of the server's copy, read back through a stream. */
async function remoteSha256(remotePath: string): Promise<string> {
  await using client = await connect(url as string, overrides);
  const hash = createHash('sha256');
  await client.download(
    remotePath,
    new Writable({ write: (chunk: Buffer, _enc, done) => done(void hash.update(chunk)) }),
  );
  return hash.digest('hex');
}

const [localArg, remoteArg] = process.argv.slice(2);
const local = localArg === undefined ? mkdtempSync(join(tmpdir(), 'ftps-backup-')) : undefined;
const file = localArg ?? join(local as string, 'backup.tar');
if (localArg === undefined) writeFileSync(file, randomBytes(8 * 1024 * 1024));
const remote = remoteArg ?? 'backup.tar';
try {
  const r = await backup(file, remote);
  const hash =
    r.verified.hash === undefined
      ? `no hash (${r.verified.hashSkipped ?? 'not asked for'})`
      : `${r.verified.hash.algorithm} ${r.verified.hash.value} via ${r.verified.hash.command}`;
  console.log(
    `   sent ${r.bytes} B (resumed from ${r.resumedFrom}) in ${r.durationMs.toFixed(0)} ms; size verified: ${String(r.verified.size)}; ${hash}; TLS session reused: ${String(r.tlsSessionReused)}`,
  );
  const same = (await remoteSha256(remote)) === createHash('sha256').update(readFileSync(file)).digest('hex');
  console.log(`   server copy ${same ? 'is byte-identical' : 'DIFFERS'} (read back and compared)`);
  process.exitCode = same ? 0 : 1;
} finally {
  if (local !== undefined) rmSync(local, { recursive: true, force: true });
}
