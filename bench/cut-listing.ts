/**
 * What leaving a listing early costs on the same client: real vsftpd, proftpd or pure-ftpd
 * (explicit FTPS, TLS 1.3) behind test/helpers/forward-proxy.ts at one RTT (default 50 ms), a
 * 10,000-entry folder.
 *
 *   node --import tsx bench/cut-listing.ts [--rtt 50] [--server vsftpd|proftpd|pureftpd] [--code PATH/src/index.ts]
 *
 * - break: from leaving a listIter loop after 10 entries to the next call (PWD) resolving: a cut
 *   where the server keeps nothing of it (vsftpd, proftpd), a drain elsewhere;
 * - abort: from aborting a listIter loop after 10 entries to the next call (PWD) resolving: on a
 *   server not known to keep nothing (pure-ftpd) that call first retires the connection (fresh login).
 * `--code` runs another checkout's client (e.g. main's, to compare).
 */
import fs from 'node:fs';
import path from 'node:path';
import { link, startForwardProxy } from '../test/helpers/forward-proxy.js';
import { chownToServerUser, startRealServer, type ServerKind } from '../test/servers/real.js';

const argv = process.argv.slice(2);
const value = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const RTT = Number(value('--rtt') ?? 50);
const kind = (value('--server') ?? 'vsftpd') as ServerKind;
const { FtpsClient } = (await import(value('--code') ?? '../src/index.js')) as typeof import('../src/index.js');

const server = await startRealServer({ kind, mode: 'explicit', tlsVersion: '1.3' });
fs.mkdirSync(path.join(server.root, 'big'));
for (let i = 0; i < 10_000; i++)
  fs.writeFileSync(path.join(server.root, 'big', `entry-${String(i).padStart(5, '0')}.dat`), '');
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

try {
  const client = await FtpsClient.connect(options);
  for (let i = 0; i < 3; i++) {
    let seen = 0;
    let left = 0;
    for await (const _ of client.listIter('big')) {
      if (++seen < 10) continue;
      left = performance.now();
      break;
    }
    await client.pwd();
    const breakMs = performance.now() - left;
    const controller = new AbortController();
    seen = 0;
    try {
      for await (const _ of client.listIter('big', { signal: controller.signal })) {
        if (++seen < 10) continue;
        left = performance.now();
        controller.abort(new Error('bench'));
      }
    } catch {
      // the abort
    }
    await client.pwd();
    const abortMs = performance.now() - left;
    console.log(`${kind} at ${RTT} ms: break -> PWD ${rtts(breakMs)} RTT; abort -> PWD ${rtts(abortMs)} RTT`);
  }
  await client.close();
} finally {
  await proxy.stop();
  await server.stop();
}
