// Bounding a call with an AbortController: the download is cancelled when the timer fires, the
// call rejects with the signal's reason, and the client stays usable for the next call.
// (For a plain deadline, `{ timeout: ms }` on a call or `timeouts.operation` does the same with an
// OperationTimeoutError, code ERR_FTPS_OPERATION_TIMEOUT.)
//
//   FTPS_URL=ftpes://user:pass@host/ FTPS_CA=ca.pem node abort-timeout.ts big.bin 2000
//   node --import tsx test/helpers/run-example.ts examples/abort-timeout.ts
//                                        # against the scripted test server, which stalls the transfer
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { connect } from 'ftps-client';

// The server: ftps:// (implicit TLS) or ftpes:// (explicit), user and password in the URL; FTPS_CA
// names a PEM file with the CA of a server whose certificate is not publicly trusted.
const url = process.env.FTPS_URL;
if (url === undefined) throw new Error('set FTPS_URL=ftpes://user:password@host/');
const ca = process.env.FTPS_CA === undefined ? undefined : readFileSync(process.env.FTPS_CA);
const [remote = 'big.bin', ms = '1000'] = process.argv.slice(2);

await using client = await connect(url, ca === undefined ? {} : { tls: { ca } });

const controller = new AbortController();
const timer = setTimeout(() => controller.abort(new Error(`gave up after ${ms} ms`)), Number(ms));
const started = performance.now();
let bytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    bytes += chunk.length;
    done();
  },
});
try {
  const r = await client.download(remote, sink, { signal: controller.signal });
  console.log(`download finished before the timeout: ${r.bytes} B`);
} catch (err) {
  if (!controller.signal.aborted) throw err; // a real failure, not our timeout
  console.log(
    `aborted after ${(performance.now() - started).toFixed(0)} ms with ${bytes} B received: ${(err as Error).message}`,
  );
} finally {
  clearTimeout(timer);
}

// The aborted transfer's data connection is gone; the control connection is back in step.
console.log(`client still usable: working directory is ${await client.pwd()}`);
