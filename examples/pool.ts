// A pool of connections: many small uploads at once, then listings and downloads spread over the
// same few connections (each keeps its TLS session for its data connections). Calls queue when
// every connection is busy; a call that fails on a broken connection is retried on a fresh one.
//
//   FTPS_URL=ftpes://user:pass@host/ FTPS_CA=ca.pem node pool.ts
//   node --import tsx test/helpers/run-example.ts examples/pool.ts    # scripted test server
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { createPool, type FtpsClientOptions } from 'ftps-client';

// The server: ftps:// (implicit TLS) or ftpes:// (explicit), user and password in the URL; FTPS_CA
// names a PEM file with the CA of a server whose certificate is not publicly trusted.
const url = process.env.FTPS_URL;
if (url === undefined) throw new Error('set FTPS_URL=ftpes://user:password@host/');
const overrides: Partial<FtpsClientOptions> =
  process.env.FTPS_CA === undefined ? {} : { tls: { ca: readFileSync(process.env.FTPS_CA) } };

await using pool = createPool(url, overrides, { size: 3 });
const files = Array.from({ length: 12 }, (_, i) => ({
  name: `pool-example/part-${i}.bin`,
  data: randomBytes(32 * 1024 + i),
}));
await pool.ensureDir('pool-example');
const started = performance.now();
const uploads = await Promise.all(files.map((f) => pool.upload(Readable.from([f.data]), f.name)));
console.log(
  `uploaded ${uploads.length} files at once in ${(performance.now() - started).toFixed(0)} ms over at most ${pool.stats().open} connections`,
);

const listing = await pool.list('pool-example');
console.log(`listed ${listing.length} files`);

let same = 0;
await Promise.all(
  files.map(async (f) => {
    const chunks: Buffer[] = [];
    await pool.download(f.name, new Writable({ write: (chunk: Buffer, _enc, done) => done(void chunks.push(chunk)) }));
    if (Buffer.concat(chunks).equals(f.data)) same++;
  }),
);
console.log(`downloaded ${files.length} files, ${same} byte-identical; pool stats: ${JSON.stringify(pool.stats())}`);
await pool.removeDir('pool-example', { recursive: true });
process.exitCode = same === files.length && listing.length === files.length ? 0 : 1;
console.log(process.exitCode === 0 ? 'Pool example passed' : 'Pool example FAILED');
