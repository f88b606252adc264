/**
 * rateLimit benchmark: how close transfers under a limit come to it. Against the scripted fake
 * server on loopback (far faster than any limit used here), for a single download, a single
 * upload, and a tree upload of 4 files sharing one limit over a pool of 4. Reports the achieved
 * rate and its deviation from the limit; the target is within 10 %. Not a test: timings depend on
 * the machine and its load, so they are reported, never asserted.
 *
 *   node --import tsx bench/rate-limit.ts            8 MB per case at 4 MB/s (about 2 s each)
 *   node --import tsx bench/rate-limit.ts --quick    2 MB per case
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createPool, FtpsClient } from '../src/index.js';
import { FakeFtpServer } from '../test/helpers/fake-server.js';
import { optionsFor } from '../test/fake/support.js';

const quick = process.argv.includes('--quick');
const BYTES = quick ? 2_000_000 : 8_000_000;
const LIMIT = 4_000_000;

function row(name: string, bytes: number, ms: number): string {
  const rate = bytes / (ms / 1000);
  const deviation = ((rate - LIMIT) / LIMIT) * 100;
  return `| ${name} | ${(bytes / 1e6).toFixed(1)} MB | ${(ms / 1000).toFixed(2)} s | ${(rate / 1e6).toFixed(3)} MB/s | ${deviation >= 0 ? '+' : ''}${deviation.toFixed(1)} % | ${Math.abs(deviation) <= 10 ? 'yes' : 'NO'} |`;
}

async function main(): Promise<void> {
  const data = randomBytes(BYTES);
  const server = new FakeFtpServer({ mode: 'explicit', files: { '/d.bin': data } });
  await server.start();
  const options = optionsFor(server, { timeouts: { connect: 10_000, reply: 30_000, data: 30_000 } });
  const rows: string[] = [];
  const local = mkdtempSync(join(tmpdir(), 'ftps-bench-rate-'));
  try {
    const client = await FtpsClient.connect(options);
    let t = performance.now();
    await client.download('/d.bin', new Writable({ write: (_c, _e, cb) => cb() }), { rateLimit: LIMIT });
    rows.push(row('download (one transfer)', BYTES, performance.now() - t));
    t = performance.now();
    await client.upload(data, '/u.bin', { rateLimit: LIMIT });
    rows.push(row('upload (one transfer)', BYTES, performance.now() - t));
    await client.close();

    for (let i = 0; i < 4; i++) writeFileSync(join(local, `f${i}.bin`), data.subarray(0, BYTES / 4));
    const pool = createPool(options, { size: 4 });
    t = performance.now();
    const result = await pool.uploadDir(local, '/tree', { rateLimit: LIMIT });
    rows.push(row('uploadDir, 4 files in parallel, one shared limit', result.bytes.done, performance.now() - t));
    await pool.close();
  } finally {
    await server.close();
    rmSync(local, { recursive: true, force: true });
  }
  console.log(`rateLimit ${LIMIT / 1e6} MB/s (node ${process.version}; timings include connect-free transfer setup)\n`);
  console.log('| case | bytes | time | rate | vs limit | within 10 % |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

await main();
