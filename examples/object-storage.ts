// Streaming between object storage and an FTPS server through stream.pipeline, without a local
// file: an object is gzipped on the way up, and the server's copy gunzipped on the way back into
// the store. `LocalObjectStore` stands in for an object-storage SDK; its getObject/putObject
// streams have the shape of e.g. the S3 SDK's GetObject body and lib-storage Upload stream.
//
//   FTPS_URL=ftpes://user:pass@host/ FTPS_CA=ca.pem node object-storage.ts
//   node --import tsx test/helpers/run-example.ts examples/object-storage.ts    # scripted test server
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { connect } from 'ftps-client';

// The server: ftps:// (implicit TLS) or ftpes:// (explicit), user and password in the URL; FTPS_CA
// names a PEM file with the CA of a server whose certificate is not publicly trusted.
const url = process.env.FTPS_URL;
if (url === undefined) throw new Error('set FTPS_URL=ftpes://user:password@host/');
const ca = process.env.FTPS_CA === undefined ? undefined : readFileSync(process.env.FTPS_CA);

/** A bucket in a local folder: keys are paths. Replace it with your storage SDK's streams. */
class LocalObjectStore {
  constructor(readonly root: string) {}
  getObject(key: string): Readable {
    return createReadStream(join(this.root, key));
  }
  putObject(key: string): Writable {
    mkdirSync(dirname(join(this.root, key)), { recursive: true });
    return createWriteStream(join(this.root, key));
  }
  sha256(key: string): string {
    return createHash('sha256')
      .update(readFileSync(join(this.root, key)))
      .digest('hex');
  }
}

const bucket = new LocalObjectStore(mkdtempSync(join(tmpdir(), 'ftps-bucket-')));
try {
  mkdirSync(join(bucket.root, 'exports'));
  writeFileSync(
    join(bucket.root, 'exports/orders.csv'),
    Array.from({ length: 20_000 }, (_, i) => `${i},${randomBytes(8).toString('hex')}\n`).join(''),
  );

  await using client = await connect(url, ca === undefined ? {} : { tls: { ca } });

  // Up: object -> gzip -> FTPS. The write stream's `result` settles once the server confirmed the file.
  const up = client.createWriteStream('orders.csv.gz');
  await pipeline(bucket.getObject('exports/orders.csv'), createGzip(), up);
  const sent = await up.result;
  console.log(`uploaded orders.csv.gz: ${sent.bytes} B compressed (TLS session reused: ${sent.tlsSessionReused})`);

  // Down: FTPS -> gunzip -> object. A failure anywhere (network, TLS, server, storage) rejects the pipeline.
  const down = client.createReadStream('orders.csv.gz');
  await pipeline(down, createGunzip(), bucket.putObject('restored/orders.csv'));
  const received = await down.result;
  console.log(`downloaded ${received.bytes} B into restored/orders.csv`);

  const same = bucket.sha256('exports/orders.csv') === bucket.sha256('restored/orders.csv');
  console.log(same ? 'Round trip is byte-identical' : 'Round trip DIFFERS');
  await client.remove('orders.csv.gz');
  process.exitCode = same ? 0 : 1;
} finally {
  rmSync(bucket.root, { recursive: true, force: true });
}
