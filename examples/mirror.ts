// Mirror a local folder to a server over a pool of connections, twice: the second run copies
// nothing. Then a dry run of the reverse direction, and a download of the tree.
//
//   FTPS_URL=ftpes://user:pass@host/ FTPS_CA=ca.pem node mirror.ts ./local-folder /remote-folder
//   FTPS_URL=... node mirror.ts            # mirrors a generated sample tree to /mirror
//   node --import tsx test/helpers/run-example.ts examples/mirror.ts    # scripted test server
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type FtpsClientOptions, type TreeProgress, type TreeResult } from 'ftps-client';

// The server: ftps:// (implicit TLS) or ftpes:// (explicit), user and password in the URL; FTPS_CA
// names a PEM file with the CA of a server whose certificate is not publicly trusted.
const url = process.env.FTPS_URL;
if (url === undefined) throw new Error('set FTPS_URL=ftpes://user:password@host/');
const overrides: Partial<FtpsClientOptions> =
  process.env.FTPS_CA === undefined ? {} : { tls: { ca: readFileSync(process.env.FTPS_CA) } };

function showProgress(p: TreeProgress): void {
  process.stdout.write(`\r   ${p.filesDone}/${p.filesTotal} files, ${p.bytesDone}/${p.bytesTotal} bytes   `);
}

function summary(label: string, r: TreeResult): void {
  process.stdout.write('\n');
  console.log(
    `${label}: ${r.files.copied} copied, ${r.files.upToDate} up to date, ${r.files.deleted} deleted, ${r.files.failed} failed in ${r.durationMs.toFixed(0)} ms`,
  );
  for (const item of r.items.filter((i) => i.status === 'failed'))
    console.log(`   ✗ ${item.path}: ${item.reason ?? ''}`);
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

const [localArg, remoteArg] = process.argv.slice(2);
const local = localArg ?? sampleTree();
const remote = remoteArg ?? '/mirror';
const copy = mkdtempSync(join(tmpdir(), 'ftps-mirror-copy-'));
try {
  await using pool = createPool(url, overrides, { size: 4 });
  summary(
    'first mirror',
    await pool.mirror({ direction: 'upload', local, remote, delete: true, onProgress: showProgress }),
  );
  summary(
    'second mirror',
    await pool.mirror({ direction: 'upload', local, remote, delete: true, onProgress: showProgress }),
  );
  const plan = await pool.mirror({ direction: 'download', remote, local: copy, dryRun: true });
  console.log(
    `dry run of the download: would create ${plan.plan.mkdir.length} folders and copy ${plan.plan.copy.length} files`,
  );
  summary('downloadDir', await pool.downloadDir(remote, copy, { onProgress: showProgress }));
} finally {
  rmSync(copy, { recursive: true, force: true });
  if (localArg === undefined) rmSync(join(local, '..'), { recursive: true, force: true });
}
