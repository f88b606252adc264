// The demo: starts an FTPS server on 127.0.0.1 by itself, then, in implicit and in explicit mode,
// uploads files, lists them, downloads them back and verifies every byte.
//
//   npm run demo                  # the project's own scripted FTPS server (no root needed)
//   npm run demo -- --vsftpd      # real vsftpd (after: sudo bash test/servers/install.sh; needs root)
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtpsClient, type FtpsClientOptions } from '../src/index.js';
import { FakeFtpServer } from '../test/helpers/fake-server.js';
import { startRealServer } from '../test/servers/real.js';

const ca = readFileSync(new URL('../test/fixtures/tls/ca.pem', import.meta.url));
const useVsftpd = process.argv.includes('--vsftpd');

interface DemoServer {
  options: FtpsClientOptions;
  label: string;
  stop(): Promise<void>;
}

async function startServer(mode: 'implicit' | 'explicit'): Promise<DemoServer> {
  if (useVsftpd) {
    const s = await startRealServer({ kind: 'vsftpd', mode, tlsVersion: '1.3' });
    return { label: `vsftpd (${mode}, TLS 1.3, session reuse required)`, options: { host: s.host, port: s.port, user: s.user, password: s.password, secure: mode, tls: { ca } }, stop: () => s.stop() };
  }
  const s = new FakeFtpServer({ mode, requireSessionReuse: true });
  await s.start();
  return { label: `built-in test server (${mode}, session reuse required)`, options: { host: s.host, port: s.port, user: 'user', password: 'pass', secure: mode, tls: { ca } }, stop: () => s.close() };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function run(mode: 'implicit' | 'explicit', local: string): Promise<boolean> {
  const server = await startServer(mode);
  console.log(`\n== ${mode.toUpperCase()} FTPS against ${server.label} on ${server.options.host}:${server.options.port}`);
  try {
    await using client = await FtpsClient.connect(server.options);
    console.log(`   TLS: ${client.tls?.protocol} ${client.tls?.cipher}, certificate for ${client.tls?.peerCertificate.subject.CN} verified: ${client.tls?.authorized}`);
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
      console.log(`   uploaded   ${f.name.padEnd(24)} ${String(r.bytes).padStart(8)} B in ${r.durationMs.toFixed(1)} ms (TLS session reused: ${r.tlsSessionReused})`);
    }
    const listing = await client.list('demo/out');
    console.log(`   listed     ${listing.map((e) => `${e.name} (${e.size} B)`).join(', ')}`);
    let ok = true;
    for (const f of files) {
      const back = join(local, `back-${f.name}`);
      const r = await client.download(`demo/out/${f.name}`, back);
      const same = sha256(readFileSync(back)) === sha256(f.data);
      ok &&= same;
      console.log(`   downloaded ${f.name.padEnd(24)} ${String(r.bytes).padStart(8)} B, sha256 ${same ? 'matches' : 'DIFFERS'}`);
    }
    await client.removeDir('demo', { recursive: true });
    console.log(`   cleaned up; ${ok ? 'all files verified' : 'VERIFICATION FAILED'}`);
    return ok;
  } finally {
    await server.stop();
  }
}

const local = mkdtempSync(join(tmpdir(), 'ftps-demo-'));
try {
  const results = [await run('implicit', local), await run('explicit', local)];
  const ok = results.every(Boolean);
  console.log(ok ? '\nDemo passed: implicit and explicit FTPS upload, list, download and verify.' : '\nDemo FAILED');
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(local, { recursive: true, force: true });
}
