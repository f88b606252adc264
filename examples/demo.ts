// The demo: uploads files, lists them, downloads them back and verifies every byte.
//
//   npm run demo        # builds, then runs this against the project's scripted FTPS server, implicit
//                       # and explicit (no root needed); `npm run demo -- --vsftpd` uses real vsftpd
//   FTPS_URL=ftpes://user:pass@host/ FTPS_CA=ca.pem node demo.ts    # your own server
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'ftps-client';

// The server: ftps:// (implicit TLS) or ftpes:// (explicit), user and password in the URL; FTPS_CA
// names a PEM file with the CA of a server whose certificate is not publicly trusted.
const url = process.argv[2] ?? process.env.FTPS_URL;
if (url === undefined) throw new Error('set FTPS_URL=ftpes://user:password@host/ (or pass the URL as the argument)');
const ca = process.env.FTPS_CA === undefined ? undefined : readFileSync(process.env.FTPS_CA);

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const local = mkdtempSync(join(tmpdir(), 'ftps-demo-'));
try {
  await using client = await connect(url, ca === undefined ? {} : { tls: { ca } });
  console.log(`== ${new URL(url).protocol === 'ftps:' ? 'IMPLICIT' : 'EXPLICIT'} FTPS on ${new URL(url).host}`);
  console.log(
    `   TLS: ${client.tls?.protocol} ${client.tls?.cipher}, certificate for ${client.tls?.peerCertificate.subject.CN} verified: ${client.tls?.authorized}`,
  );
  const files = [
    { name: 'report.pdf', data: randomBytes(5 * 1024 * 1024) },
    { name: 'notes with spaces.txt', data: Buffer.from('hello from ftps-client\n'.repeat(100)) },
    { name: 'ünïcode-ファイル.bin', data: randomBytes(64 * 1024) },
  ];
  await client.ensureDir('demo/out');
  for (const f of files) {
    const path = join(local, f.name);
    writeFileSync(path, f.data);
    const r = await client.upload(path, `demo/out/${f.name}`);
    console.log(
      `   uploaded   ${f.name.padEnd(24)} ${String(r.bytes).padStart(8)} B in ${r.durationMs.toFixed(1)} ms (TLS session reused: ${r.tlsSessionReused})`,
    );
  }
  const listing = await client.list('demo/out');
  console.log(`   listed     ${listing.map((e) => `${e.name} (${e.size} B)`).join(', ')}`);
  let ok = true;
  for (const f of files) {
    const back = join(local, `back-${f.name}`);
    const r = await client.download(`demo/out/${f.name}`, back);
    const same = sha256(readFileSync(back)) === sha256(f.data);
    ok &&= same;
    console.log(
      `   downloaded ${f.name.padEnd(24)} ${String(r.bytes).padStart(8)} B, sha256 ${same ? 'matches' : 'DIFFERS'}`,
    );
  }
  await client.removeDir('demo', { recursive: true });
  console.log(ok ? '   Demo passed: upload, list, download and verify.' : '   Demo FAILED');
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(local, { recursive: true, force: true });
}
