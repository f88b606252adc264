/**
 * Benchmark: ftps-client against basic-ftp and curl on real vsftpd servers (loopback, TLS 1.3,
 * data-channel TLS session reuse required). One entry point: `npm run bench` (full, writes
 * docs/performance.md) or `npm run bench -- --quick` (small sizes, one run; CI proves it still works).
 *
 * Every measured run is its own child process under `/usr/bin/time` (user + sys CPU and peak RSS of
 * that client alone). Contenders alternate within each scenario, one warm-up round is discarded,
 * and the median of the measured rounds is reported. Must run as root (vsftpd chroots and switches
 * to the FTP user).
 *
 * Options: --quick, --runs N, --warmup N, --only SUBSTRING (scenario ids), --out FILE, --keep-data,
 * --serve (start the servers with the data, print each run's command line and wait: for profiling).
 * --wan: only the WAN benchmark (bench/wan.ts, emulated RTTs via a forwarding proxy; --rtt 20,80);
 * the full run (no --quick) does the loopback benchmark and then the WAN one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startRealServer, type RealServer, type TlsMode } from '../test/servers/real.js';
import { formatParserBench, runParserBench } from './parsers.js';
import { runWan, writeSection } from './wan.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const TIME_BIN = '/usr/bin/time';
const CURL_BIN = 'curl';
const MiB = 1024 * 1024;
const RUN_TIMEOUT_MS = 10 * 60_000;

// ---------------------------------------------------------------------------------------------
// Arguments

interface Config {
  quick: boolean;
  runs: number;
  warmup: number;
  only: string | undefined;
  out: string;
  keepData: boolean;
  bigBytes: number;
  smallCount: number;
  smallBytes: number;
  listCount: number;
}

function parseArgs(argv: string[]): Config {
  const quick = argv.includes('--quick');
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const int = (name: string, fallback: number): number => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer`);
    return n;
  };
  const runs = int('--runs', quick ? 1 : 5);
  if (runs < 1) throw new RangeError('--runs must be at least 1');
  return {
    quick,
    runs,
    warmup: int('--warmup', 1),
    only: value('--only'),
    out: path.resolve(
      value('--out') ??
        (quick ? path.join(REPO, 'bench', 'results', 'quick.md') : path.join(REPO, 'docs', 'performance.md')),
    ),
    keepData: argv.includes('--keep-data'),
    bigBytes: quick ? 32 * MiB : 1024 * MiB,
    smallCount: quick ? 50 : 500,
    smallBytes: 4096,
    listCount: quick ? 1_000 : 10_000,
  };
}

// ---------------------------------------------------------------------------------------------
// Test data (in tmpfs when there is one: no disk I/O on the server or client side)

interface Data {
  base: string;
  root: string;
  big: string;
  smallNames: string[];
}

async function createData(cfg: Config): Promise<Data> {
  const parent = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const base = await fsp.mkdtemp(path.join(parent, 'ftps-client-bench-'));
  await fsp.chmod(base, 0o755);
  const root = path.join(base, 'root');
  await fsp.mkdir(root, { mode: 0o755 });
  // Pseudo-random (incompressible) bytes: 16 MiB of randomBytes repeated.
  const big = path.join(root, 'big.bin');
  const block = randomBytes(Math.min(16 * MiB, cfg.bigBytes));
  const fd = await fsp.open(big, 'w');
  for (let written = 0; written < cfg.bigBytes;) {
    const n = Math.min(block.length, cfg.bigBytes - written);
    await fd.write(block, 0, n);
    written += n;
  }
  await fd.close();
  const smallNames = Array.from({ length: cfg.smallCount }, (_, i) => `f${String(i).padStart(4, '0')}.bin`);
  await fsp.mkdir(path.join(root, 'small'));
  for (const name of smallNames) await fsp.writeFile(path.join(root, 'small', name), randomBytes(cfg.smallBytes));
  await fsp.mkdir(path.join(root, 'list'));
  for (let i = 0; i < cfg.listCount; i++)
    await fsp.writeFile(path.join(root, 'list', `entry-${String(i).padStart(5, '0')}.txt`), '');
  await fsp.mkdir(path.join(root, 'up', 'small'), { recursive: true });
  return { base, root, big, smallNames };
}

// ---------------------------------------------------------------------------------------------
// Scenarios and contenders

type ContenderId = 'ftps-client' | 'ftps-client pool(4)' | 'basic-ftp' | 'curl';

interface Scenario {
  id: string;
  title: string;
  op: 'connect' | 'download' | 'upload' | 'download-many' | 'upload-many' | 'list';
  mode: TlsMode;
  contenders: ContenderId[];
  /** Payload bytes of one run (0 for LIST). */
  bytes: number;
}

function scenarios(cfg: Config): Scenario[] {
  const big = cfg.bigBytes >= 1024 * MiB ? `${cfg.bigBytes / (1024 * MiB)} GiB` : `${cfg.bigBytes / MiB} MiB`;
  const trio: ContenderId[] = ['ftps-client', 'basic-ftp', 'curl'];
  const many: ContenderId[] = ['ftps-client', 'ftps-client pool(4)', 'basic-ftp'];
  const smallTotal = cfg.smallCount * cfg.smallBytes;
  const list: Scenario[] = [
    {
      id: 'connect',
      title: 'connect + login + close (baseline)',
      op: 'connect',
      mode: 'explicit',
      contenders: ['ftps-client', 'basic-ftp'],
      bytes: 0,
    },
    {
      id: 'download-explicit',
      title: `${big} download, explicit`,
      op: 'download',
      mode: 'explicit',
      contenders: trio,
      bytes: cfg.bigBytes,
    },
    {
      id: 'download-implicit',
      title: `${big} download, implicit`,
      op: 'download',
      mode: 'implicit',
      contenders: trio,
      bytes: cfg.bigBytes,
    },
    {
      id: 'upload-explicit',
      title: `${big} upload, explicit`,
      op: 'upload',
      mode: 'explicit',
      contenders: trio,
      bytes: cfg.bigBytes,
    },
    {
      id: 'upload-implicit',
      title: `${big} upload, implicit`,
      op: 'upload',
      mode: 'implicit',
      contenders: trio,
      bytes: cfg.bigBytes,
    },
    {
      id: 'small-download',
      title: `${cfg.smallCount} × 4 KiB download`,
      op: 'download-many',
      mode: 'explicit',
      contenders: many,
      bytes: smallTotal,
    },
    {
      id: 'small-upload',
      title: `${cfg.smallCount} × 4 KiB upload`,
      op: 'upload-many',
      mode: 'explicit',
      contenders: many,
      bytes: smallTotal,
    },
    {
      id: 'list',
      title: `LIST of ${cfg.listCount.toLocaleString('en-US')} entries`,
      op: 'list',
      mode: 'explicit',
      contenders: ['ftps-client', 'basic-ftp'],
      bytes: 0,
    },
  ];
  return cfg.only === undefined ? list : list.filter((s) => s.id.includes(cfg.only as string));
}

interface Sample {
  /** Operation time: connect + login + transfer + close, as the client itself measured it. */
  ms: number;
  /** User + sys CPU of the client inside that same window (Node workers only: process.cpuUsage() around it). */
  opCpuS: number | undefined;
  cpuS: number;
  rssKiB: number;
}

interface Ctx {
  cfg: Config;
  data: Data;
  servers: Record<TlsMode, RealServer>;
  tmp: string;
}

function remoteUploadName(contender: ContenderId): string {
  return `up/${contender.replace(/[^a-z0-9-]/gi, '_')}.bin`;
}

/** The command line of one run (without /usr/bin/time). */
function commandFor(ctx: Ctx, s: Scenario, contender: ContenderId): string[] {
  const server = ctx.servers[s.mode];
  if (contender === 'curl') {
    const scheme = s.mode === 'implicit' ? 'ftps' : 'ftp';
    const base = `${scheme}://${server.host}:${server.port}`;
    const common = ['-sS', '--ssl-reqd', '--cacert', server.caFile, '-u', `${server.user}:${server.password}`];
    if (s.op === 'download')
      return [CURL_BIN, ...common, '-o', '/dev/null', '-w', '%{time_total} %{size_download}', `${base}/big.bin`];
    if (s.op === 'upload')
      return [
        CURL_BIN,
        ...common,
        '-T',
        ctx.data.big,
        '-w',
        '%{time_total} %{size_upload}',
        `${base}/${remoteUploadName(contender)}`,
      ];
    throw new Error(`curl does not run ${s.op}`);
  }
  const worker = path.join(HERE, 'workers', contender === 'basic-ftp' ? 'basic-ftp.mjs' : 'ftps-client.mjs');
  const task = {
    op: s.op,
    mode: s.mode,
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    caFile: server.caFile,
    connections: contender === 'ftps-client pool(4)' ? 4 : 1,
    remote: s.op === 'list' ? '/list' : s.op === 'upload' ? remoteUploadName(contender) : '/big.bin',
    local: ctx.data.big,
    size: s.bytes,
    files: s.op === 'download-many' || s.op === 'upload-many' ? ctx.data.smallNames : [],
    fileSize: ctx.cfg.smallBytes,
    localDir: path.join(ctx.data.root, 'small'),
    remoteDir: s.op === 'upload-many' ? '/up/small' : '/small',
  };
  return [process.execPath, worker, JSON.stringify(task)];
}

function parseTime(text: string): { cpuS: number; rssKiB: number } {
  const last = text.trim().split('\n').pop() ?? '';
  const [user, sys, rss] = last.trim().split(/\s+/).map(Number);
  if (
    user === undefined ||
    sys === undefined ||
    rss === undefined ||
    [user, sys, rss].some((n) => !Number.isFinite(n))
  ) {
    throw new Error(`cannot parse ${TIME_BIN} output: ${JSON.stringify(text)}`);
  }
  return { cpuS: user + sys, rssKiB: rss };
}

async function runOnce(ctx: Ctx, s: Scenario, contender: ContenderId): Promise<Sample> {
  const argv = commandFor(ctx, s, contender);
  const timeFile = path.join(ctx.tmp, 'time.txt');
  const env = { ...process.env };
  delete env['NODE_OPTIONS']; // no loaders or flags from the parent in the measured process
  delete env['NODE_EXTRA_CA_CERTS']; // every client trusts exactly the test CA, nothing else is loaded
  const child = spawn(TIME_BIN, ['-f', '%U %S %M', '-o', timeFile, ...argv], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  const fail = (why: string): Error =>
    new Error(
      `${s.id} / ${contender}: ${why}\ncommand: ${argv.join(' ').slice(0, 400)}\nstdout: ${stdout}\nstderr: ${stderr}`,
    );
  if (code !== 0) throw fail(`exit code ${String(code)}`);
  const { cpuS, rssKiB } = parseTime(await fsp.readFile(timeFile, 'utf8'));

  let ms: number;
  let opCpuS: number | undefined;
  let bytes: number | undefined;
  if (contender === 'curl') {
    const [seconds, size] = stdout.trim().split(/\s+/).map(Number);
    if (seconds === undefined || !Number.isFinite(seconds)) throw fail('no timing from curl -w');
    ms = seconds * 1000;
    bytes = size;
  } else {
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      ms?: number;
      cpuMs?: number;
      bytes?: number;
      entries?: number;
      reused?: boolean;
    };
    if (typeof r.ms !== 'number') throw fail('no result line from the worker');
    if (typeof r.cpuMs !== 'number') throw fail("no in-window CPU in the worker's result line");
    ms = r.ms;
    opCpuS = r.cpuMs / 1000;
    bytes = r.bytes;
    if (r.reused === false) throw fail('a data connection did not resume the TLS session');
    if (s.op === 'list' && r.entries !== ctx.cfg.listCount)
      throw fail(`listed ${String(r.entries)} entries, expected ${ctx.cfg.listCount}`);
  }
  if (s.op !== 'list' && s.op !== 'connect' && bytes !== s.bytes)
    throw fail(`moved ${String(bytes)} bytes, expected ${s.bytes}`);
  await verifyAndCleanUploads(ctx, s, contender, fail);
  return { ms, opCpuS, cpuS, rssKiB };
}

/** Checks that uploads arrived whole on the server (sizes in its root), then removes them. */
async function verifyAndCleanUploads(
  ctx: Ctx,
  s: Scenario,
  contender: ContenderId,
  fail: (why: string) => Error,
): Promise<void> {
  if (s.op === 'upload') {
    const file = path.join(ctx.data.root, remoteUploadName(contender));
    const size = (await fsp.stat(file)).size;
    await fsp.rm(file);
    if (size !== s.bytes) throw fail(`server received ${size} bytes, expected ${s.bytes}`);
  } else if (s.op === 'upload-many') {
    const dir = path.join(ctx.data.root, 'up', 'small');
    const names = await fsp.readdir(dir);
    let total = 0;
    for (const n of names) {
      total += (await fsp.stat(path.join(dir, n))).size;
      await fsp.rm(path.join(dir, n));
    }
    if (names.length !== ctx.cfg.smallCount || total !== s.bytes)
      throw fail(`server received ${names.length} files / ${total} bytes`);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and report

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

interface Summary {
  ms: number;
  mbps: number;
  opCpuS: number | undefined;
  cpuS: number;
  rssMiB: number;
  runs: number;
}

function summarize(samples: Sample[], bytes: number): Summary {
  return {
    ms: median(samples.map((x) => x.ms)),
    mbps: median(samples.map((x) => bytes / 1e6 / (x.ms / 1000))),
    opCpuS: samples.every((x) => x.opCpuS !== undefined) ? median(samples.map((x) => x.opCpuS as number)) : undefined,
    cpuS: median(samples.map((x) => x.cpuS)),
    rssMiB: median(samples.map((x) => x.rssKiB / 1024)),
    runs: samples.length,
  };
}

type Results = Map<string, Map<ContenderId, Summary>>;

const f2 = (n: number): string => n.toFixed(2);
const f0 = (n: number): string => n.toFixed(0);
const mbs = (n: number): string => n.toFixed(n < 10 ? 2 : 0);
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`;

function machine(): string[] {
  const cpus = os.cpus();
  const version = (cmd: string, args: string[], words = 99): string => {
    try {
      const first = execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0]?.trim() ?? '?';
      return first.split(/\s+/).slice(0, words).join(' ');
    } catch {
      return '?';
    }
  };
  const pkg = (name: string): string => {
    try {
      return (
        JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    } catch {
      return '?';
    }
  };
  const vsftpd = version('dpkg-query', ['-W', '-f=${Version}', 'vsftpd']);
  const commit = version('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']);
  const dirty = version('git', ['-C', REPO, 'status', '--porcelain', '--', 'src']) !== '' ? ' (src/ modified)' : '';
  return [
    `- CPU: ${cpus.length} cores, ${cpus[0]?.model.trim() ?? '?'}; ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM; ${os.type()} ${os.release()}`,
    `- Node.js ${process.versions.node}, OpenSSL ${process.versions.openssl} (Node's), ${version('openssl', ['version'], 2)} (system)`,
    `- ftps-client ${commit}${dirty}, basic-ftp ${pkg('basic-ftp')}, ${version(CURL_BIN, ['--version'], 2)} (${version(CURL_BIN, ['--version'], 5).split(' ').pop() ?? '?'})`,
    `- Load average when the run started: ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(', ')} (the machine is not otherwise reserved for the benchmark)`,
    `- vsftpd ${vsftpd}, TLS 1.3 only (OPENSSL_CONF Min/MaxProtocol), require_ssl_reuse=YES, on 127.0.0.1`,
  ];
}

interface Target {
  what: string;
  measured: number | undefined;
  limit: string;
  ok: boolean | undefined;
}

function targets(results: Results): Target[] {
  const get = (id: string, c: ContenderId): Summary | undefined => results.get(id)?.get(c);
  const out: Target[] = [];
  const add = (what: string, value: number | undefined, limit: number, cmp: '>=' | '<='): void => {
    out.push({
      what,
      measured: value,
      limit: `${cmp} ${limit.toFixed(2)}×`,
      ok: value === undefined ? undefined : cmp === '>=' ? value >= limit : value <= limit,
    });
  };
  const r = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined ? undefined : a / b;
  for (const mode of ['explicit', 'implicit']) {
    const d = `download-${mode}`;
    const u = `upload-${mode}`;
    add(`download ${mode}: MB/s vs curl`, r(get(d, 'ftps-client')?.mbps, get(d, 'curl')?.mbps), 1.0, '>=');
    add(`download ${mode}: MB/s vs basic-ftp`, r(get(d, 'ftps-client')?.mbps, get(d, 'basic-ftp')?.mbps), 1.5, '>=');
    add(`download ${mode}: CPU vs basic-ftp`, r(get(d, 'ftps-client')?.cpuS, get(d, 'basic-ftp')?.cpuS), 0.4, '<=');
    add(
      `download ${mode}: peak RSS vs basic-ftp`,
      r(get(d, 'ftps-client')?.rssMiB, get(d, 'basic-ftp')?.rssMiB),
      0.8,
      '<=',
    );
    add(`upload ${mode}: MB/s vs basic-ftp`, r(get(u, 'ftps-client')?.mbps, get(u, 'basic-ftp')?.mbps), 1.0, '>=');
    add(`upload ${mode}: MB/s vs curl`, r(get(u, 'ftps-client')?.mbps, get(u, 'curl')?.mbps), 1.0, '>=');
    add(
      `upload ${mode}: peak RSS vs basic-ftp`,
      r(get(u, 'ftps-client')?.rssMiB, get(u, 'basic-ftp')?.rssMiB),
      0.8,
      '<=',
    );
  }
  for (const dir of ['download', 'upload']) {
    const id = `small-${dir}`;
    add(
      `small files ${dir}, one connection: time vs basic-ftp`,
      r(get(id, 'ftps-client')?.ms, get(id, 'basic-ftp')?.ms),
      1.0,
      '<=',
    );
    add(
      `small files ${dir}, 4 connections: time vs basic-ftp`,
      r(get(id, 'ftps-client pool(4)')?.ms, get(id, 'basic-ftp')?.ms),
      0.3,
      '<=',
    );
  }
  add('LIST: time vs basic-ftp', r(get('list', 'ftps-client')?.ms, get('list', 'basic-ftp')?.ms), 1.0, '<=');
  // Informational beside it (no goal of its own): the listing's CPU, which the wall time on a shared machine blurs.
  out.push({
    what: 'LIST: CPU in the operation vs basic-ftp (informational)',
    measured: r(get('list', 'ftps-client')?.opCpuS, get('list', 'basic-ftp')?.opCpuS),
    limit: '–',
    ok: undefined,
  });
  return out.filter((t) => t.measured !== undefined);
}

/** Markers around the part of docs/performance.md this file writes (bench/wan.ts has its own). */
const LOOPBACK_BEGIN = '<!-- loopback:begin -->';
const LOOPBACK_END = '<!-- loopback:end -->';

function report(cfg: Config, list: Scenario[], results: Results, command: string, poolNote: string): string {
  const lines: string[] = [];
  lines.push('# Performance', '');
  lines.push(
    cfg.quick
      ? '**Quick run (`--quick`): small sizes, one measured run. It proves that the benchmark works; the numbers mean little.**'
      : 'ftps-client against [basic-ftp](https://github.com/patrickjuchli/basic-ftp) (the Node.js incumbent) and curl, on vsftpd over loopback.',
    '',
  );
  lines.push(`Generated by \`${command}\` on ${new Date().toISOString().slice(0, 10)}; rerun it to reproduce.`, '');
  lines.push('## Machine', '', ...machine(), '');
  lines.push(
    `## Results (median of ${cfg.runs} run${cfg.runs === 1 ? '' : 's'} each, after ${cfg.warmup} warm-up round${cfg.warmup === 1 ? '' : 's'})`,
    '',
  );
  lines.push(
    '| scenario | client | wall s | CPU in op s | MB/s | client CPU s | peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const s of list) {
    for (const c of s.contenders) {
      const m = results.get(s.id)?.get(c);
      if (m === undefined) continue;
      lines.push(
        `| ${s.title} | ${c} | ${(m.ms / 1000).toFixed(3)} | ${m.opCpuS === undefined ? '–' : m.opCpuS.toFixed(3)} | ${s.bytes === 0 ? '–' : mbs(m.mbps)} | ${f2(m.cpuS)} | ${f0(m.rssMiB)} |`,
      );
    }
  }
  lines.push(
    '',
    '## Ratios',
    '',
    'ftps-client divided by the other client (pool rows: ftps-client with 4 connections). Time, CPU and RSS: lower is better; MB/s: higher is better.',
    '',
  );
  lines.push(
    '| scenario | ftps-client | time / basic-ftp | CPU in op / basic-ftp | MB/s / basic-ftp | CPU / basic-ftp | RSS / basic-ftp | time / curl | MB/s / curl | CPU / curl | RSS / curl |',
  );
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of list) {
    const row = results.get(s.id);
    const b = row?.get('basic-ftp');
    const cu = row?.get('curl');
    for (const c of s.contenders.filter((x) => x.startsWith('ftps-client'))) {
      const m = row?.get(c);
      if (m === undefined) continue;
      const mb = (o: Summary | undefined): string => (s.bytes === 0 ? '–' : ratio(m.mbps, o?.mbps));
      lines.push(
        `| ${s.title} | ${c} | ${ratio(m.ms, b?.ms)} | ${ratio(m.opCpuS, b?.opCpuS)} | ${mb(b)} | ${ratio(m.cpuS, b?.cpuS)} | ${ratio(m.rssMiB, b?.rssMiB)} | ${ratio(m.ms, cu?.ms)} | ${cu === undefined ? '–' : mb(cu)} | ${ratio(m.cpuS, cu?.cpuS)} | ${ratio(m.rssMiB, cu?.rssMiB)} |`,
      );
    }
  }
  lines.push(
    '',
    '## Targets',
    '',
    'Goals for this project on a 2-core machine (measured, not asserted: the benchmark never fails on them).',
    '',
  );
  lines.push('| target | ftps-client / other | goal | met |', '| --- | ---: | ---: | :---: |');
  for (const t of targets(results))
    lines.push(
      `| ${t.what} | ${t.measured === undefined ? '–' : `${t.measured.toFixed(2)}×`} | ${t.limit} | ${t.ok === undefined ? '–' : t.ok ? 'yes' : 'no'} |`,
    );
  lines.push('', '## Method', '');
  lines.push(
    "- One entry point, `bench/run.ts`: builds nothing itself (`npm run bench` runs `npm run build` first), creates the data in tmpfs (`/dev/shm`), starts vsftpd twice on 127.0.0.1 (explicit FTPS and implicit FTPS) with the project's own `test/servers/real.ts`, TLS 1.3 only, `require_ssl_reuse=YES` (a data connection that does not resume the control session is refused), certificates verified by every client.",
    "- Each run is a fresh child process under `/usr/bin/time`: ftps-client (`bench/workers/ftps-client.mjs`, the compiled `dist/`, no tsx), basic-ftp (`bench/workers/basic-ftp.mjs`, `secure: true` / `'implicit'`), curl (`--ssl-reqd ftp://` / `ftps://`).",
    "- **wall s**: the client's own operation time: connect, TLS, login, transfer(s), close (Node workers: `performance.now()` around it; curl: `%{time_total}`). Process start-up is excluded for every client.",
    '- **MB/s**: payload bytes (10^6) per wall second. **CPU in op s**: user + sys CPU of the Node client inside the same window as wall s (`process.cpuUsage()` around the operation: no start-up or module loading; none for curl). **client CPU s**: user + sys of the whole client process (start-up included: see the baseline row). **peak RSS**: `ru_maxrss` of the client process. Medians are taken per column.',
    '- Downloads go to a sink that discards the bytes (a counting `Writable` for the Node clients, `-o /dev/null` for curl), so no client pays for disk writes. Uploads read the 1 GiB file from tmpfs. Byte counts are checked for every run; uploaded files are checked on the server and removed after each run.',
    '- Contenders alternate within each round (starting contender rotates per round); the first round(s) are warm-up and discarded. The server (vsftpd, one process per session) runs on the same 2 cores.',
    `- Small files: 500 files of 4 KiB (${cfg.smallCount} in this run) downloaded from / uploaded to one folder. ${poolNote}`,
    '- Baseline row: connect, TLS, login and close only; its CPU and RSS are what a Node client costs before moving any data (Node start-up, loading the library, OpenSSL initialisation).\n- LIST: vsftpd has no MLSD, so both clients send LIST and parse the Unix listing into entries.',
    '',
  );
  const findings = path.join(HERE, 'findings.md');
  if (!cfg.quick && fs.existsSync(findings)) lines.push(fs.readFileSync(findings, 'utf8').trim(), '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function ensurePrerequisites(): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new Error('run the benchmark as root: vsftpd chroots and switches to the FTP user');
  if (!fs.existsSync(path.join(REPO, 'dist', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` (npm run bench does)');
  if (!fs.existsSync(TIME_BIN)) {
    console.log(`[bench] ${TIME_BIN} missing: apt-get install time`);
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'time'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  execFileSync(CURL_BIN, ['--version'], { stdio: 'ignore' });
}

/** The WAN part: `--wan` alone, or after the full loopback run (never in --quick: it takes minutes). */
async function wan(cfg: Config): Promise<void> {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--rtt');
  const rtts = (i === -1 ? '20,80' : (argv[i + 1] ?? '')).split(',').map(Number);
  if (rtts.some((n) => !Number.isFinite(n) || n <= 0))
    throw new RangeError('--rtt takes milliseconds, comma-separated (e.g. 20,80)');
  const runsGiven = argv.includes('--runs');
  const md = await runWan({ runs: runsGiven ? cfg.runs : 3, only: cfg.only, rtts, out: cfg.out });
  console.log(`\n${md}\n[bench] WAN section written to ${path.relative(REPO, cfg.out)}`);
}

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  await ensurePrerequisites();
  if (process.argv.includes('--wan')) {
    await wan(cfg);
    return;
  }
  // Parser scaling (bench/parsers.ts): CPU only, no servers; its table is appended to the report.
  const parserTable = formatParserBench(runParserBench({ quick: cfg.quick }), 8);
  console.log(`[bench] parsers at n and 4n:\n${parserTable}`);
  const list = scenarios(cfg);
  const started = Date.now();
  console.log(
    `[bench] ${cfg.quick ? 'quick' : 'full'}: ${cfg.warmup} warm-up + ${cfg.runs} measured round(s); creating data…`,
  );
  const data = await createData(cfg);
  const servers: Partial<Record<TlsMode, RealServer>> = {};
  const results: Results = new Map();
  try {
    servers.explicit = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3', root: data.root });
    servers.implicit = await startRealServer({ kind: 'vsftpd', mode: 'implicit', tlsVersion: '1.3', root: data.root });
    const ctx: Ctx = { cfg, data, servers: servers as Record<TlsMode, RealServer>, tmp: data.base };
    const poolNote = await poolDescription();
    if (process.argv.includes('--serve')) {
      // For profiling: print the worker command lines and keep the servers up until SIGINT/SIGTERM.
      for (const s of list)
        for (const c of s.contenders)
          console.log(
            `${s.id} / ${c}:\n  ${commandFor(ctx, s, c)
              .map((a) => (/[\s"{]/.test(a) ? `'${a}'` : a))
              .join(' ')}`,
          );
      console.log('[bench] serving; stop with Ctrl-C');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return;
    }
    for (const s of list) {
      const samples = new Map<ContenderId, Sample[]>(s.contenders.map((c) => [c, []]));
      for (let round = 0; round < cfg.warmup + cfg.runs; round++) {
        const order = s.contenders.map((_, i) => s.contenders[(i + round) % s.contenders.length] as ContenderId);
        for (const c of order) {
          const sample = await runOnce(ctx, s, c);
          const warm = round < cfg.warmup;
          if (!warm) samples.get(c)?.push(sample);
          const inOp = sample.opCpuS === undefined ? '' : `  CPU in op ${sample.opCpuS.toFixed(3)} s`;
          console.log(
            `[bench] ${s.id.padEnd(18)} ${c.padEnd(20)} ${warm ? 'warm-up' : `run ${round - cfg.warmup + 1}  `} ${(sample.ms / 1000).toFixed(3)} s${inOp}  CPU ${sample.cpuS.toFixed(2)} s  RSS ${(sample.rssKiB / 1024).toFixed(0)} MiB`,
          );
        }
      }
      results.set(s.id, new Map([...samples].map(([c, v]) => [c, summarize(v, s.bytes)])));
    }
    const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
    const md = `${report(cfg, list, results, command, poolNote)}\n## Parser scaling (bench/parsers.ts)\n\n${parserTable}\n`;
    await fsp.mkdir(path.dirname(cfg.out), { recursive: true });
    // Only the loopback section is replaced: the WAN section and the hand-written ones stay.
    await writeSection(cfg.out, `${LOOPBACK_BEGIN}\n${md.trimEnd()}\n${LOOPBACK_END}`, LOOPBACK_BEGIN, LOOPBACK_END);
    console.log(
      `\n${md}\n[bench] written to ${path.relative(REPO, cfg.out)} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await Promise.all(Object.values(servers).map((srv) => srv.stop()));
    if (!cfg.keepData) await fsp.rm(data.base, { recursive: true, force: true });
  }
  if (!cfg.quick && cfg.only === undefined && !process.argv.includes('--serve')) await wan(cfg);
}

/** How the "pool(4)" rows are run: FtpsPool once src/ exports it, else 4 clients sharing the file list. */
async function poolDescription(): Promise<string> {
  const lib = (await import(pathToFileURL(path.join(REPO, 'dist', 'index.js')).href)) as Record<string, unknown>;
  return typeof lib['createPool'] === 'function'
    ? '"pool(4)" is `createPool(options, { size: 4 })` (FtpsPool), all files queued at once.'
    : '"pool(4)" is 4 `FtpsClient` connections taking files from one shared list (`FtpsPool` is not exported yet).';
}

main().catch((err: unknown) => {
  console.error('[bench] failed:', err);
  process.exitCode = 1;
});
