/**
 * Round trips per operation, counted from the client's own timeline: ftps-client against real
 * vsftpd (explicit FTPS, TLS 1.3, reuse required) behind test/helpers/forward-proxy.ts at one RTT.
 * Prints every command and reply with its time in RTT units, then one line per operation. At a
 * long RTT (default 200 ms) CPU time hardly counts, so the numbers are round trips, not load.
 *
 *   node --import tsx bench/rtt-trace.ts [--rtt 200] [--lib path/to/dist/index.js] [--quiet]
 *
 * `--lib` measures another build of the library (e.g. an older commit's dist/) the same way.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { link, startForwardProxy } from '../test/helpers/forward-proxy.js';
import { chownToServerUser, startRealServer } from '../test/servers/real.js';

const argv = process.argv.slice(2);
const value = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const RTT = Number(value('--rtt') ?? 200);
const quiet = argv.includes('--quiet');
const libPath = value('--lib');

interface Lib {
  CHANNELS: Record<string, string>;
  FtpsClient: {
    connect(options: object): Promise<{
      download(remote: string, sink: Writable): Promise<unknown>;
      upload(data: Buffer, remote: string): Promise<unknown>;
      list(remote: string): Promise<unknown[]>;
      close(): Promise<void>;
    }>;
  };
}
const lib = (await import(
  libPath === undefined ? '../src/index.js' : pathToFileURL(path.resolve(libPath)).href
)) as Lib;

const server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
for (const name of ['a.bin', 'b.bin', 'c.bin']) fs.writeFileSync(path.join(server.root, name), Buffer.alloc(4096, 1));
await chownToServerUser(server.root);
const proxy = await startForwardProxy({
  target: { host: server.host, port: server.port, passive: server.passive },
  shaping: link({ rttMs: RTT, windowBytes: 1 << 20 }),
});

let t0 = performance.now();
const rtts = (): string => ((performance.now() - t0) / RTT).toFixed(2).padStart(6);
const log = (line: string): void => void (quiet || console.log(line));
diagnostics_channel.subscribe(lib.CHANNELS['command'] as string, (m) =>
  log(`${rtts()}  > ${(m as { command: string }).command}`),
);
diagnostics_channel.subscribe(lib.CHANNELS['reply'] as string, (m) =>
  log(`${rtts()}  < ${(m as { code: number }).code}`),
);
const results: [string, number][] = [];
async function op(name: string, fn: () => Promise<unknown>): Promise<void> {
  log(`--- ${name}`);
  t0 = performance.now();
  await fn();
  results.push([name, (performance.now() - t0) / RTT]);
}
const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
try {
  let client: Awaited<ReturnType<Lib['FtpsClient']['connect']>> | undefined;
  const options = {
    host: proxy.host,
    port: proxy.port,
    user: server.user,
    password: server.password,
    secure: 'explicit',
    tls: { ca: fs.readFileSync(server.caFile), servername: 'localhost' },
  };
  await op('connect + login', async () => (client = await lib.FtpsClient.connect(options)));
  if (client === undefined) throw new Error('no client');
  const c = client;
  for (const name of ['a.bin', 'b.bin', 'c.bin'])
    await op(`download 4 KiB (${name})`, () => c.download(`/${name}`, sink()));
  await op('upload 4 KiB', () => c.upload(Buffer.alloc(4096, 2), '/up.bin'));
  await op('LIST (5 entries)', () => c.list('/'));
  await op('close (QUIT)', () => c.close());
} finally {
  await proxy.stop();
  await server.stop();
}
console.log(`\nround trips per operation at ${RTT} ms RTT (${libPath ?? 'src/'}):`);
for (const [name, n] of results) console.log(`  ${name.padEnd(26)} ${n.toFixed(2)}`);
