/**
 * WAN benchmark: ftps-client, basic-ftp, curl and lftp against real vsftpd (TLS 1.3, reuse required)
 * behind test/helpers/forward-proxy.ts, which emulates a link (RTT, a per-connection window) on
 * 127.0.0.x for the control port and the passive range. `npm run bench -- --wan` (alone) or part of
 * the full `npm run bench`. Writes the WAN section of docs/performance.md (between markers).
 *
 * Options (shared with run.ts): --runs N (default 3), --only SUBSTRING, --out FILE; --rtt 20,80.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { link, startForwardProxy, type ForwardProxy } from '../test/helpers/forward-proxy.js';
import { startRealServer, type RealServer } from '../test/servers/real.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const MiB = 1024 * 1024;
const WINDOW = 1 * MiB;
const BIG = 64 * MiB;
const SMALL_COUNT = 100;
const SMALL_BYTES = 4096;
const LIST_COUNT = 1000;
const RUN_TIMEOUT_MS = 5 * 60_000;
export const WAN_BEGIN = '<!-- wan:begin -->';
export const WAN_END = '<!-- wan:end -->';

type Contender =
  | 'ftps-client'
  | 'ftps-client pool(4)'
  | 'ftps-client pool(8)'
  | 'ftps-client segments(4)'
  | 'ftps-client, pool ready'
  | 'ftps-client segments(4), pool ready'
  | 'basic-ftp'
  | 'basic-ftp ×4'
  | 'basic-ftp ×8'
  | 'curl'
  | 'lftp'
  | 'lftp -P 4'
  | 'lftp -P 8'
  | 'lftp pget -n 4';

interface Scenario {
  id: string;
  title: string;
  op: 'connect' | 'download' | 'upload' | 'download-many' | 'list';
  /** Operations per run (files for download-many, 1 otherwise): RTT per operation = time / RTT / ops. */
  ops: number;
  bytes: number;
  contenders: Contender[];
}

const SCENARIOS: Scenario[] = [
  {
    id: 'connect',
    title: 'connect + login + close',
    op: 'connect',
    ops: 1,
    bytes: 0,
    contenders: ['ftps-client', 'basic-ftp'],
  },
  {
    id: 'small-1',
    title: `${SMALL_COUNT} × 4 KiB download, one connection`,
    op: 'download-many',
    ops: SMALL_COUNT,
    bytes: SMALL_COUNT * SMALL_BYTES,
    contenders: ['ftps-client', 'basic-ftp', 'curl', 'lftp'],
  },
  {
    id: 'small-4',
    title: `${SMALL_COUNT} × 4 KiB download, 4 connections`,
    op: 'download-many',
    ops: SMALL_COUNT,
    bytes: SMALL_COUNT * SMALL_BYTES,
    contenders: ['ftps-client pool(4)', 'basic-ftp ×4', 'lftp -P 4'],
  },
  {
    id: 'small-8',
    title: `${SMALL_COUNT} × 4 KiB download, 8 connections`,
    op: 'download-many',
    ops: SMALL_COUNT,
    bytes: SMALL_COUNT * SMALL_BYTES,
    contenders: ['ftps-client pool(8)', 'basic-ftp ×8', 'lftp -P 8'],
  },
  {
    id: 'download',
    title: '64 MiB download',
    op: 'download',
    ops: 1,
    bytes: BIG,
    contenders: [
      'ftps-client',
      'ftps-client segments(4)',
      'ftps-client, pool ready',
      'ftps-client segments(4), pool ready',
      'basic-ftp',
      'curl',
      'lftp',
      'lftp pget -n 4',
    ],
  },
  {
    id: 'upload',
    title: '64 MiB upload',
    op: 'upload',
    ops: 1,
    bytes: BIG,
    contenders: ['ftps-client', 'basic-ftp', 'curl', 'lftp'],
  },
  {
    id: 'list',
    title: `LIST of ${LIST_COUNT.toLocaleString('en-US')} entries`,
    op: 'list',
    ops: 1,
    bytes: 0,
    contenders: ['ftps-client', 'basic-ftp', 'curl', 'lftp'],
  },
];

export interface WanConfig {
  runs: number;
  only: string | undefined;
  rtts: number[];
  out: string;
}

interface Ctx {
  server: RealServer;
  proxy: ForwardProxy;
  root: string;
  tmp: string;
  big: string;
  smallNames: string[];
  segmentsSupported: boolean;
}

function lftpScript(ctx: Ctx, commands: string[]): string[] {
  const { proxy, server } = ctx;
  const settings = [
    `set ssl:ca-file ${server.caFile}`,
    'set ssl:check-hostname no', // the certificate names localhost/127.0.0.1, the proxy is 127.0.0.x; the chain is still verified
    'set ftp:ssl-force yes',
    'set ftp:ssl-protect-data yes',
    'set ftp:prefer-epsv yes', // EPSV: data connections go to the control host (the proxy)
    'set ftp:passive-mode yes',
    'set net:max-retries 1',
    'set net:timeout 60',
    'set cmd:fail-exit yes',
    'set xfer:clobber yes',
  ];
  return [
    'lftp',
    '-u',
    `${server.user},${server.password}`,
    '-e',
    [...settings, ...commands, 'bye'].join('; '),
    `ftp://${proxy.host}:${proxy.port}`,
  ];
}

function curlBase(ctx: Ctx): { args: string[]; url: string } {
  const { proxy, server } = ctx;
  return {
    // localhost resolved to the proxy: the certificate's name matches, every connection goes through it
    args: [
      '-sS',
      '--fail',
      '--ssl-reqd',
      '--cacert',
      server.caFile,
      '-u',
      `${server.user}:${server.password}`,
      '--resolve',
      `localhost:${proxy.port}:${proxy.host}`,
    ],
    url: `ftp://localhost:${proxy.port}`,
  };
}

function uploadName(c: Contender): string {
  return `up/${c.replace(/[^a-z0-9-]/gi, '_')}.bin`;
}

function commandFor(ctx: Ctx, s: Scenario, c: Contender): string[] {
  const local = path.join(ctx.tmp, 'local');
  if (c === 'curl') {
    const { args, url } = curlBase(ctx);
    if (s.op === 'download') return ['curl', ...args, '-o', '/dev/null', `${url}/big.bin`];
    if (s.op === 'upload') return ['curl', ...args, '-T', ctx.big, `${url}/${uploadName(c)}`];
    if (s.op === 'list') return ['curl', ...args, '-o', '/dev/null', `${url}/list/`];
    // one command line, several URLs: curl reuses the control connection
    return ['curl', ...args, ...ctx.smallNames.flatMap((n) => ['-o', '/dev/null', `${url}/small/${n}`])];
  }
  if (c.startsWith('lftp')) {
    const parallel = c === 'lftp -P 4' ? 4 : c === 'lftp -P 8' ? 8 : 1;
    if (s.op === 'download')
      return lftpScript(ctx, [c === 'lftp pget -n 4' ? `pget -n 4 /big.bin -o ${local}` : `get /big.bin -o ${local}`]);
    if (s.op === 'upload') return lftpScript(ctx, [`put ${ctx.big} -o /${uploadName(c)}`]);
    if (s.op === 'list') return lftpScript(ctx, ['cls -l /list > /dev/null']);
    return lftpScript(ctx, [`mirror --parallel=${parallel} /small ${path.join(ctx.tmp, 'mirror')}`]);
  }
  const worker = path.join(HERE, 'workers', c.startsWith('basic-ftp') ? 'basic-ftp.mjs' : 'ftps-client.mjs');
  const connections = /\((\d)\)|×(\d)/.exec(c);
  const task = {
    op: s.op === 'download-many' ? 'download-many' : s.op,
    mode: 'explicit',
    host: ctx.proxy.host,
    port: ctx.proxy.port,
    servername: 'localhost',
    user: ctx.server.user,
    password: ctx.server.password,
    caFile: ctx.server.caFile,
    connections: connections === null ? 1 : Number(connections[1] ?? connections[2]),
    segments: c.startsWith('ftps-client segments(4)') ? 4 : undefined,
    // Connected and logged in before the clock starts: the transfer alone, as for a tool that keeps its pool.
    warm: c.endsWith(', pool ready'),
    remote: s.op === 'list' ? '/list' : s.op === 'upload' ? uploadName(c) : '/big.bin',
    local: s.op === 'upload' ? ctx.big : local,
    size: s.bytes,
    files: s.op === 'download-many' ? ctx.smallNames : [],
    fileSize: SMALL_BYTES,
    remoteDir: '/small',
  };
  return [process.execPath, worker, JSON.stringify(task)];
}

interface Sample {
  ms: number;
}

async function runOnce(ctx: Ctx, s: Scenario, c: Contender): Promise<Sample> {
  const argv = commandFor(ctx, s, c);
  const before = ctx.proxy.stats('data').accepted;
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  delete env['NODE_EXTRA_CA_CERTS'];
  const started = performance.now();
  const child = spawn(argv[0] as string, argv.slice(1), { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  clearTimeout(timer);
  const wall = performance.now() - started;
  const fail = (why: string): Error =>
    new Error(
      `wan ${s.id} / ${c}: ${why}\ncommand: ${argv.join(' ').slice(0, 300)}\nstdout: ${stdout.slice(0, 2000)}\nstderr: ${stderr.slice(0, 2000)}`,
    );
  if (code !== 0) throw fail(`exit code ${String(code)}`);
  let ms = wall;
  if (argv[0] === process.execPath) {
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      ms?: number;
      bytes?: number;
      entries?: number;
      reused?: boolean;
    };
    if (typeof r.ms !== 'number') throw fail('no result line from the worker');
    ms = r.ms;
    if (r.reused === false) throw fail('a data connection did not resume the TLS session');
    if (s.op === 'list' && r.entries !== LIST_COUNT) throw fail(`listed ${String(r.entries)} entries`);
    if ((s.op === 'download' || s.op === 'download-many') && r.bytes !== s.bytes)
      throw fail(`moved ${String(r.bytes)} bytes`);
  }
  if (s.op !== 'connect' && ctx.proxy.stats('data').accepted === before)
    throw fail('no data connection went through the proxy');
  await checkAndClean(ctx, s, c, fail);
  return { ms };
}

/** Downloads and uploads arrived whole (where the client wrote a file), then are removed. */
async function checkAndClean(ctx: Ctx, s: Scenario, c: Contender, fail: (why: string) => Error): Promise<void> {
  const local = path.join(ctx.tmp, 'local');
  if (s.op === 'upload') {
    const file = path.join(ctx.root, uploadName(c));
    const size = (await fsp.stat(file)).size;
    await fsp.rm(file);
    if (size !== s.bytes) throw fail(`server received ${size} bytes`);
  }
  if (s.op === 'download' && fs.existsSync(local)) {
    const size = (await fsp.stat(local)).size;
    await fsp.rm(local);
    if (size !== s.bytes) throw fail(`local file has ${size} bytes`);
  }
  const mirror = path.join(ctx.tmp, 'mirror');
  if (fs.existsSync(mirror)) {
    const n = (await fsp.readdir(mirror)).length;
    await fsp.rm(mirror, { recursive: true, force: true });
    if (n !== SMALL_COUNT) throw fail(`mirror fetched ${n} files`);
  }
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

type Results = Map<number, Map<string, Map<Contender, number>>>;

async function createData(): Promise<{ base: string; root: string; big: string; smallNames: string[] }> {
  const parent = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const base = await fsp.mkdtemp(path.join(parent, 'ftps-client-wan-'));
  await fsp.chmod(base, 0o755);
  const root = path.join(base, 'root');
  await fsp.mkdir(path.join(root, 'small'), { recursive: true, mode: 0o755 });
  await fsp.mkdir(path.join(root, 'list'));
  await fsp.mkdir(path.join(root, 'up'));
  const big = path.join(root, 'big.bin');
  const block = randomBytes(16 * MiB);
  const fd = await fsp.open(big, 'w');
  for (let i = 0; i < BIG / block.length; i++) await fd.write(block);
  await fd.close();
  const smallNames = Array.from({ length: SMALL_COUNT }, (_, i) => `f${String(i).padStart(4, '0')}.bin`);
  for (const n of smallNames) await fsp.writeFile(path.join(root, 'small', n), randomBytes(SMALL_BYTES));
  for (let i = 0; i < LIST_COUNT; i++)
    await fsp.writeFile(path.join(root, 'list', `entry-${String(i).padStart(5, '0')}.txt`), '');
  return { base, root, big, smallNames };
}

/** Run the WAN scenarios at each RTT; returns the Markdown section (also written into cfg.out). */
export async function runWan(cfg: WanConfig): Promise<string> {
  const data = await createData();
  const tmp = path.join(data.base, 'client');
  await fsp.mkdir(tmp);
  const server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3', root: data.root });
  const segmentsSupported = fs.existsSync(path.join(REPO, 'dist', 'transfer', 'segmented.js'));
  const results: Results = new Map();
  const list = SCENARIOS.filter((s) => cfg.only === undefined || s.id.includes(cfg.only)).map((s) => ({
    ...s,
    contenders: s.contenders.filter((c) => !c.startsWith('ftps-client segments(4)') || segmentsSupported),
  }));
  const started = Date.now();
  try {
    for (const rtt of cfg.rtts) {
      const proxy = await startForwardProxy({
        target: { host: server.host, port: server.port, passive: server.passive },
        shaping: link({ rttMs: rtt, windowBytes: WINDOW }),
      });
      const ctx: Ctx = {
        server,
        proxy,
        root: data.root,
        tmp,
        big: data.big,
        smallNames: data.smallNames,
        segmentsSupported,
      };
      const perRtt = new Map<string, Map<Contender, number>>();
      results.set(rtt, perRtt);
      try {
        for (const s of list) {
          const samples = new Map<Contender, number[]>(s.contenders.map((c) => [c, []]));
          for (let round = 0; round < cfg.runs; round++) {
            const order = s.contenders.map((_, i) => s.contenders[(i + round) % s.contenders.length] as Contender);
            for (const c of order) {
              const { ms } = await runOnce(ctx, s, c);
              samples.get(c)?.push(ms);
              console.log(
                `[bench wan ${rtt} ms] ${s.id.padEnd(9)} ${c.padEnd(24)} run ${round + 1}  ${(ms / 1000).toFixed(3)} s  (${(ms / rtt / s.ops).toFixed(1)} RTT/op)`,
              );
            }
          }
          perRtt.set(s.id, new Map([...samples].map(([c, v]) => [c, median(v)])));
        }
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    await server.stop();
    await fsp.rm(data.base, { recursive: true, force: true });
  }
  const md = wanReport(cfg, list, results, Math.round((Date.now() - started) / 1000));
  await writeSection(cfg.out, md);
  return md;
}

function wanReport(cfg: WanConfig, list: Scenario[], results: Results, seconds: number): string {
  const L: string[] = [WAN_BEGIN, '## WAN (emulated link)', ''];
  L.push(
    `Generated by \`npm run bench -- --wan\` on ${new Date().toISOString().slice(0, 10)} (${seconds} s, load average at the end ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(
        ', ',
      )}; the machine is shared: read the numbers as indications). Median of ${cfg.runs} run${cfg.runs === 1 ? '' : 's'}, contenders alternating, no warm-up round.`,
    '',
    'Columns: median wall time; **RTT/op** = time / RTT / operations (files for the small-file rows), the round trips one operation costs; **× ref** = time divided by the reference contender of the row group (the first one: ftps-client on one connection, or basic-ftp on one connection for the parallel rows).',
    '',
  );
  for (const [rtt, perRtt] of results) {
    L.push(`### ${rtt} ms RTT, ${WINDOW / MiB} MiB window per connection`, '');
    L.push('| scenario | client | time s | RTT/op | MB/s | × ref |', '| --- | --- | ---: | ---: | ---: | ---: |');
    const oneConnBasic = perRtt.get('small-1')?.get('basic-ftp');
    for (const s of list) {
      const row = perRtt.get(s.id);
      if (row === undefined) continue;
      const ref = s.id === 'small-4' || s.id === 'small-8' ? oneConnBasic : row.get(s.contenders[0] as Contender);
      for (const c of s.contenders) {
        const ms = row.get(c);
        if (ms === undefined) continue;
        const mbps = s.bytes === 0 ? '–' : (s.bytes / 1e6 / (ms / 1000)).toFixed(2);
        const x = ref === undefined ? '–' : `${(ms / ref).toFixed(2)}×`;
        L.push(`| ${s.title} | ${c} | ${(ms / 1000).toFixed(3)} | ${(ms / rtt / s.ops).toFixed(1)} | ${mbps} | ${x} |`);
      }
    }
    L.push('');
  }
  L.push(
    '### WAN method',
    '',
    '- One vsftpd (explicit FTPS, TLS 1.3 only, `require_ssl_reuse=YES`) on 127.0.0.1; in front of it `test/helpers/forward-proxy.ts` on 127.0.0.x forwards the control port and every passive port (same numbers), so EPSV data connections pass through it too (checked: every run must open a data connection through the proxy).',
    `- Link: half the RTT of one-way delay per chunk in each direction (order kept), a ${WINDOW / MiB} MiB window per connection and direction (bytes count until their "ack" has come back, so one stream gets at most window / RTT), no rate cap, no loss, no slow start. The kernel completes a TCP connect at once; the proxy charges it by connecting upstream only after up + down + up delay, so the server sees the connection (and the client its first reply) when it would on the link.`,
    '- Node clients (`bench/workers/*.mjs`, `servername: localhost`) report their own operation time (connect, login, transfer, close; process start-up excluded). curl (`--resolve localhost:PORT:127.0.0.x`, several URLs on one command line reuse the connection) and lftp (`ftp:prefer-epsv`, certificate chain verified, host name not: the proxy address is not in the certificate) are timed from spawn to exit, start-up included (~10 ms).',
    '- "basic-ftp ×N": N basic-ftp clients taking files from one shared list. "lftp -P N": `mirror --parallel=N`. "ftps-client pool(N)": `createPool(options, { size: N })`, all files queued at once. "segments(4)": `pool.download(remote, local, { segments: 4 })` with a pool of 4. lftp and segmented downloads write a file in tmpfs; the others discard the bytes. Cold rows (and lftp) count connect, login and close; "pool ready" rows (a pool of 1 or 4, `pool.download`) time the download alone, every connection logged in before the clock starts and closed after it stops, as for a tool that keeps its pool.',
    '',
    WAN_END,
  );
  return L.join('\n');
}

/**
 * Replaces (or appends) one generated section of the performance document, between its markers; the
 * hand-written sections around it stay as they are.
 */
export async function writeSection(file: string, md: string, begin = WAN_BEGIN, end = WAN_END): Promise<void> {
  let text = fs.existsSync(file) ? await fsp.readFile(file, 'utf8') : '';
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a !== -1 && b > a) text = text.slice(0, a) + md + text.slice(b + end.length);
  else text = text.trim() === '' ? `${md}\n` : `${text.trimEnd()}\n\n${md}\n`;
  await fsp.writeFile(file, text);
}
