// Mirror a local folder to a server over a pool of connections, twice: the second run copies
// nothing. Then a dry run of the reverse direction, and a download of the tree.
//
//   node --import tsx examples/mirror.ts                        # self-started test server
//   node --import tsx examples/mirror.ts --vsftpd               # real vsftpd (root, test/servers/install.sh)
//   node --import tsx examples/mirror.ts ftpes://user:pass@host/ ./local-folder /remote-folder
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type FtpsClientOptions, type TreeProgress, type TreeResult } from '../src/index.js';
import { FakeFtpServer } from '../test/helpers/fake-server.js';
import { startRealServer } from '../test/servers/real.js';

const ca = readFileSync(new URL('../test/fixtures/tls/ca.pem', import.meta.url));

function showProgress(p: TreeProgress): void {
  process.stdout.write(`\r   ${p.filesDone}/${p.filesTotal} files, ${p.bytesDone}/${p.bytesTotal} bytes   `);
}

function summary(label: string, r: TreeResult): void {
  process.stdout.write('\n');
  console.log(`${label}: ${r.files.copied} copied, ${r.files.upToDate} up to date, ${r.files.deleted} deleted, ${r.files.failed} failed in ${r.durationMs.toFixed(0)} ms`);
  for (const item of r.items.filter((i) => i.status === 'failed')) console.log(`   ✗ ${item.path}: ${item.reason ?? ''}`);
}

async function run(target: FtpsClientOptions | string, local: string, remote: string): Promise<void> {
  await using pool = createPool(target, { size: 4 });
  summary('first mirror', await pool.mirror({ direction: 'upload', local, remote, delete: true, onProgress: showProgress }));
  summary('second mirror', await pool.mirror({ direction: 'upload', local, remote, delete: true, onProgress: showProgress }));
  const plan = await pool.mirror({ direction: 'download', remote, local: join(local, '..', 'copy'), dryRun: true });
  console.log(`dry run of the download: would create ${plan.plan.mkdir.length} folders and copy ${plan.plan.copy.length} files`);
  summary('downloadDir', await pool.downloadDir(remote, join(local, '..', 'copy'), { onProgress: showProgress }));
}

function sampleTree(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'ftps-mirror-example-')), 'site');
  for (let i = 0; i < 40; i++) {
    const dir = join(root, `section-${i % 4}`, i % 2 === 0 ? 'pages' : 'ünïcødé');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file-${i}.bin`), randomBytes(4096 + i));
  }
  mkdirSync(join(root, 'empty'), { recursive: true });
  return root;
}

const [arg, localArg, remoteArg] = process.argv.slice(2);
if (arg !== undefined && arg !== '--vsftpd') {
  await run(arg, localArg ?? '.', remoteArg ?? '/mirror');
} else {
  const local = sampleTree();
  try {
    if (arg === '--vsftpd') {
      const server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
      try {
        await run({ host: server.host, port: server.port, user: server.user, password: server.password, tls: { ca } }, local, '/mirror');
      } finally {
        await server.stop();
      }
    } else {
      const server = new FakeFtpServer({ mode: 'explicit' });
      await server.start();
      try {
        await run({ host: server.host, port: server.port, user: 'user', password: 'pass', tls: { ca } }, local, '/mirror');
      } finally {
        await server.close();
      }
    }
  } finally {
    rmSync(join(local, '..'), { recursive: true, force: true });
  }
}
