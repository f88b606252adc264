/**
 * What stopping a transfer early costs, in round trips: real vsftpd, proftpd or pure-ftpd (explicit
 * FTPS, TLS 1.3) behind test/helpers/forward-proxy.ts at one RTT (default 200 ms).
 *
 *   node --import tsx bench/abort-rtt.ts [--rtt 200] [--server vsftpd|proftpd|pureftpd]
 *
 * - range stop: from the range's last byte to downloadRange() resolving (reset, ABOR + NOOP, replies
 *   up to the NOOP's), against a whole 4 KiB download's wait from its last byte to its end;
 * - abort: from the abort of a download in flight to the next call (PWD) resolving on the same client.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { FtpsClient } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { runTransfer } from '../src/session/data.js';
import { downloadRange } from '../src/session/files.js';
import { openSession } from '../src/session/handshake.js';
import { link, startForwardProxy } from '../test/helpers/forward-proxy.js';
import { chownToServerUser, startRealServer, type ServerKind } from '../test/servers/real.js';

const argv = process.argv.slice(2);
const value = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const RTT = Number(value('--rtt') ?? 200);
const kind = (value('--server') ?? 'vsftpd') as ServerKind;

const server = await startRealServer({ kind, mode: 'explicit', tlsVersion: '1.3' });
fs.writeFileSync(path.join(server.root, 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 1));
fs.writeFileSync(path.join(server.root, 'small.bin'), Buffer.alloc(4096, 1));
await chownToServerUser(server.root);
const proxy = await startForwardProxy({
  target: { host: server.host, port: server.port, passive: server.passive },
  shaping: link({ rttMs: RTT, windowBytes: 1 << 20 }),
});
const options = {
  host: proxy.host,
  port: proxy.port,
  user: server.user,
  password: server.password,
  secure: 'explicit' as const,
  tls: { ca: fs.readFileSync(server.caFile), servername: 'localhost' },
};
const rtts = (ms: number): string => (ms / RTT).toFixed(2);

/** A sink noting when its last byte arrived. */
function timedSink(): { sink: Writable; last: () => number } {
  let last = 0;
  const sink = new Writable({
    write: (_c, _e, cb) => {
      last = performance.now();
      cb();
    },
  });
  return { sink, last: () => last };
}

try {
  const session = await openSession(resolveOptions(options));
  for (let i = 0; i < 3; i++) {
    const plain = timedSink();
    await runTransfer(session, 'RETR small.bin', { direction: 'download', sink: plain.sink });
    const plainEnd = performance.now();
    const range = timedSink();
    await downloadRange(session, 'big.bin', range.sink, { offset: 8 * 1024 * 1024, length: 64 * 1024 });
    const rangeEnd = performance.now();
    console.log(
      `${kind} at ${RTT} ms: range stop ${rtts(rangeEnd - range.last())} RTT after its last byte; whole 4 KiB file: ${rtts(plainEnd - plain.last())} RTT after its last byte`,
    );
  }
  await session.control.quit(2000);

  const client = await FtpsClient.connect(options);
  for (let i = 0; i < 3; i++) {
    const controller = new AbortController();
    let aborted = 0;
    const sink = new Writable({
      write: (_c, _e, cb) => {
        if (aborted === 0) {
          aborted = performance.now();
          controller.abort(new Error('bench'));
        }
        cb();
      },
    });
    await client.download('big.bin', sink, { signal: controller.signal }).catch(() => undefined);
    await client.pwd();
    console.log(
      `${kind} at ${RTT} ms: abort -> next PWD answered: ${rtts(performance.now() - aborted)} RTT (PWD itself: 1)`,
    );
  }
  await client.close();
} finally {
  await proxy.stop();
  await server.stop();
}
