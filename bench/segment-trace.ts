/**
 * The critical path of a segmented download, from the client's own timeline: ftps-client against
 * real vsftpd (explicit FTPS, TLS 1.3, reuse required) behind test/helpers/forward-proxy.ts at one
 * RTT with a per-connection window. Prints every command, reply and transfer end per connection
 * with its time in RTT units, then the totals: cold (pool created and closed inside the timing, as
 * `lftp pget` does) and warm (the pool's connections already logged in), for one stream and for
 * `segments: N`.
 *
 *   node --import tsx bench/segment-trace.ts [--rtt 80] [--mib 64] [--segments 4] [--lib dist/index.js]
 *     [--connect-rtt] [--quiet]
 *
 * `--connect-rtt`: every TCP connect resolves one RTT late, as over a real link. The emulation's kernel
 * completes it at once (the proxy charges the server side only), so a client that writes only once
 * connected pays nothing for it there: REST sent after the data connect was free in the emulation,
 * one round trip on a real link.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { link, startForwardProxy } from '../test/helpers/forward-proxy.js';
import { chownToServerUser, startRealServer } from '../test/servers/real.js';

const argv = process.argv.slice(2);
const value = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const RTT = Number(value('--rtt') ?? 80);
const MIB = Number(value('--mib') ?? 64);
const SEGMENTS = Number(value('--segments') ?? 4);
const quiet = argv.includes('--quiet');
const connectRtt = argv.includes('--connect-rtt');
const libPath = value('--lib');

interface Pool {
  run<T>(fn: () => Promise<T>): Promise<T>;
  download(remote: string, local: string, options?: { segments?: number }): Promise<{ bytes: number }>;
  close(): Promise<void>;
}
interface Lib {
  CHANNELS: Record<string, string>;
  createPool(options: object, overrides: object, pool: { size: number; retries: number }): Pool;
}
const lib = (await import(
  libPath === undefined ? '../src/index.js' : pathToFileURL(path.resolve(libPath)).href
)) as Lib;

const server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
const block = randomBytes(1 << 20);
const fd = await fsp.open(path.join(server.root, 'big.bin'), 'w');
for (let i = 0; i < MIB; i++) await fd.write(block);
await fd.close();
await chownToServerUser(server.root);
const proxy = await startForwardProxy({
  target: { host: server.host, port: server.port, passive: server.passive },
  shaping: link({ rttMs: RTT, windowBytes: 1 << 20 }),
});
const tmp = await fsp.mkdtemp(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'segment-trace-'));
const local = path.join(tmp, 'big.bin');

let t0 = performance.now();
const rtts = (): string => ((performance.now() - t0) / RTT).toFixed(2).padStart(6);
const log = (line: string): void => void (quiet || console.log(line));
type Ref = { connectionId: number };
const on = (channel: string, fn: (m: Ref & Record<string, unknown>) => string): void =>
  diagnostics_channel.subscribe(lib.CHANNELS[channel] as string, (m) => {
    const msg = m as Ref & Record<string, unknown>;
    log(`${rtts()}  #${msg.connectionId} ${fn(msg)}`);
  });
on('command', (m) => `> ${String(m['command'])}`);
on('reply', (m) => `< ${String(m['code'])}`);
on('transferEnd', (m) => `= transfer end, ${String(m['bytes'])} bytes`);
on('connect', () => '= logged in');

const options = {
  host: proxy.host,
  port: proxy.port,
  user: server.user,
  password: server.password,
  secure: 'explicit',
  tls: { ca: fs.readFileSync(server.caFile), servername: 'localhost' },
  ...(connectRtt ? { connect: lateConnect } : {}),
};

/** A connector whose sockets are handed over one RTT after the kernel connected them (SYN, SYN-ACK). */
function lateConnect(request: { host: string; port: number }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: request.host, port: request.port });
    socket.once('error', reject);
    socket.once('connect', () => setTimeout(() => resolve(socket), RTT));
  });
}
const results: [string, number][] = [];
const mark = (what: string): void => log(`${rtts()}     ${what}`);

async function trial(name: string, segments: number, warm: boolean): Promise<void> {
  log(`--- ${name}`);
  const size = Math.max(segments, 1);
  let pool: Pool | undefined;
  if (warm) {
    pool = lib.createPool(options, {}, { size, retries: 0 });
    const p = pool;
    // Every connection logged in before the clock starts (busy at once, so each opens its own).
    await Promise.all(Array.from({ length: size }, () => p.run(() => new Promise((r) => setTimeout(r, 10)))));
  }
  t0 = performance.now();
  pool ??= lib.createPool(options, {}, { size, retries: 0 });
  const r = await pool.download('/big.bin', local, segments > 1 ? { segments } : {});
  mark(`resolved (${r.bytes} bytes)`);
  if (!warm) await pool.close();
  const total = (performance.now() - t0) / RTT;
  if (!warm) mark('pool closed');
  else await pool.close();
  if ((await fsp.stat(local)).size !== MIB << 20) throw new Error('wrong local size');
  await fsp.rm(local);
  results.push([name, total]);
}

try {
  await trial('one stream, cold', 1, false);
  await trial(`segments(${SEGMENTS}), cold`, SEGMENTS, false);
  await trial('one stream, warm', 1, true);
  await trial(`segments(${SEGMENTS}), warm`, SEGMENTS, true);
} finally {
  await proxy.stop();
  await server.stop();
  await fsp.rm(tmp, { recursive: true, force: true });
}
// A 1 MiB window per RTT per stream: the bytes alone take MIB RTTs on one stream.
const how = connectRtt ? ', connects resolved 1 RTT late' : '';
console.log(`\n${MIB} MiB at ${RTT} ms RTT, 1 MiB window${how} (${libPath ?? 'src/'}), in RTTs:`);
for (const [name, n] of results) console.log(`  ${name.padEnd(24)} ${n.toFixed(2)}`);
console.log(`  (the bytes alone: ${MIB} on one stream, ${(MIB / SEGMENTS).toFixed(0)} on ${SEGMENTS})`);
