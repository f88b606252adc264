/**
 * Smoke test of the real servers with curl, on 127.0.0.1 only:
 *   npx tsx test/servers/smoke.ts [--feat] [--only vsftpd|proftpd|pureftpd]
 * Starts every supported combination (server x explicit/implicit x TLS 1.2/1.3) at the same time
 * (so passive ranges must not collide), then for each: login, upload 256 KiB, LIST, download and
 * compare, MKD/RNFR/RNTO/DELE/RMD, clear-text login refused, the other TLS version refused.
 * --feat prints each server's FEAT reply. Exit code 1 if anything fails.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  isInstalled,
  startRealServer,
  supports,
  type RealServer,
  type ServerKind,
  type TlsMode,
  type TlsVersion,
} from './real.js';

const run = promisify(execFile);
const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];
const MODES: TlsMode[] = ['explicit', 'implicit'];
const VERSIONS: TlsVersion[] = ['1.2', '1.3'];

const args = process.argv.slice(2);
const showFeat = args.includes('--feat');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;

interface Curl {
  code: number;
  stdout: string;
  stderr: string;
}

async function curl(s: RealServer, extra: string[], urlPath = '/', opts: { tls?: boolean } = {}): Promise<Curl> {
  const useTls = opts.tls ?? true;
  const scheme = s.mode === 'implicit' ? 'ftps' : 'ftp';
  const base = ['-sS', '-v', '--max-time', '20', '-u', `${s.user}:${s.password}`];
  const tlsArgs = useTls ? ['--cacert', s.caFile, ...(s.mode === 'explicit' ? ['--ssl-reqd'] : [])] : [];
  const argv = [...base, ...tlsArgs, ...extra, `${scheme}://${s.host}:${s.port}${urlPath}`];
  try {
    const r = await run('curl', argv, { encoding: 'utf8', maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function serverLines(c: Curl): string {
  return c.stderr
    .split('\n')
    .filter((l) => l.startsWith('< ') || l.startsWith('> ') || l.startsWith('curl:'))
    .join('\n');
}

function must(cond: boolean, what: string, c?: Curl): void {
  if (!cond)
    throw new Error(`${what}${c ? ` (curl exit ${c.code})\n${serverLines(c).split('\n').slice(-15).join('\n')}` : ''}`);
}

async function check(s: RealServer, work: string): Promise<string[]> {
  const notes: string[] = [];
  const want = s.tlsVersion === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  const data = randomBytes(256 * 1024);
  const up = path.join(work, `${s.kind}-${s.mode}-${s.tlsVersion}.up`);
  const down = path.join(work, `${s.kind}-${s.mode}-${s.tlsVersion}.down`);
  await fsp.writeFile(up, data);

  // upload, retried up to 5 times: over TLS 1.3 curl 7.88 may close the data connection without
  // reading the server's session tickets -> TCP reset -> vsftpd "426 Failure reading network
  // stream" / curl exit 18 and a truncated file (the client's problem, not the server's)
  let c = await curl(s, ['-T', up], '/smoke.bin');
  for (let retry = 0; retry < 5 && c.code !== 0; retry++) {
    notes.push(
      `upload failed once (curl exit ${c.code}${/< 4\d\d[^\n]*/.exec(c.stderr)?.[0].replace('<', ':') ?? ''}), retried`,
    );
    c = await curl(s, ['-T', up], '/smoke.bin');
  }
  must(c.code === 0, 'upload', c);
  must(c.stderr.includes(`SSL connection using ${want}`), `negotiated ${want}`, c);
  const onDisk = await fsp.readFile(path.join(s.root, 'smoke.bin'));
  must(onDisk.equals(data), `uploaded file in root is identical (${onDisk.length} bytes)`);

  // list
  c = await curl(s, [], '/');
  must(c.code === 0 && /smoke\.bin/.test(c.stdout), 'LIST shows smoke.bin', c);

  // download and compare
  c = await curl(s, ['-o', down], '/smoke.bin');
  must(c.code === 0, 'download', c);
  must((await fsp.readFile(down)).equals(data), 'downloaded file identical');

  // file created by the test directly in root, downloaded
  await fsp.writeFile(path.join(s.root, 'direct.txt'), 'hello from the test\n');
  c = await curl(s, [], '/direct.txt');
  must(c.code === 0 && c.stdout === 'hello from the test\n', 'download of a file the test put into root', c);

  // mkdir, rename into it, list it, delete, rmdir
  c = await curl(s, ['-Q', 'MKD sub', '-Q', 'RNFR smoke.bin', '-Q', 'RNTO sub/renamed.bin'], '/sub/');
  must(c.code === 0 && /renamed\.bin/.test(c.stdout), 'MKD + RNFR/RNTO + LIST sub/', c);
  c = await curl(s, ['-Q', 'DELE sub/renamed.bin', '-Q', 'RMD sub', '-Q', 'DELE direct.txt'], '/');
  must(c.code === 0 && !/sub|smoke|direct/.test(c.stdout), 'DELE + RMD', c);
  must(fs.readdirSync(s.root).length === 0, 'root empty at the end');

  // clear-text login refused (explicit only: implicit has no clear-text control connection)
  if (s.mode === 'explicit') {
    c = await curl(s, [], '/', { tls: false });
    must(c.code !== 0, 'clear-text login refused', c);
    const refusal =
      c.stderr
        .split('\n')
        .filter((l) => /^< (5|4)\d\d/.test(l))
        .pop() ??
      c.stderr
        .split('\n')
        .filter((l) => l.startsWith('curl:'))
        .pop() ??
      '';
    notes.push(`clear-text: ${refusal.replace(/^< /, '')}`);
  }

  // data connection without TLS session reuse: vsftpd and proftpd must refuse it
  c = await curl(s, ['--no-sessionid'], '/');
  const reuseReply =
    c.stderr
      .split('\n')
      .filter((l) => /^< (4|5)\d\d/.test(l))
      .pop()
      ?.slice(2) ?? (c.code === 0 ? 'accepted' : `curl exit ${c.code}`);
  if (s.kind === 'pureftpd') {
    notes.push(`no session reuse: ${c.code === 0 ? 'accepted (not enforced)' : reuseReply}`);
  } else {
    must(c.code !== 0, 'data connection without session reuse refused', c);
    notes.push(`no session reuse: ${reuseReply}`);
  }

  // the other TLS version refused
  const other = s.tlsVersion === '1.2' ? ['--tlsv1.3'] : ['--tlsv1.2', '--tls-max', '1.2'];
  c = await curl(s, other, '/');
  must(c.code !== 0, `TLS ${s.tlsVersion === '1.2' ? '1.3' : '1.2'} refused`, c);

  if (showFeat) {
    c = await curl(s, ['-Q', 'FEAT', '-I'], '/');
    const feat = c.stderr.split('\n').filter((l) => /^< 211/.test(l) || (/^< /.test(l) && /^< \s/.test(l)));
    console.log(`\n# FEAT ${s.kind} ${s.mode} TLS ${s.tlsVersion}\n${feat.map((l) => l.slice(2)).join('\n')}`);
  }
  return notes;
}

async function main(): Promise<void> {
  const combos: { kind: ServerKind; mode: TlsMode; tlsVersion: TlsVersion }[] = [];
  for (const kind of KINDS) {
    if (only !== undefined && kind !== only) continue;
    if (!isInstalled(kind)) {
      console.log(`SKIP ${kind}: not installed (sudo bash test/servers/install.sh)`);
      continue;
    }
    for (const mode of MODES)
      for (const tlsVersion of VERSIONS) if (supports(kind, mode)) combos.push({ kind, mode, tlsVersion });
  }
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'ftps-client-smoke-'));
  const t0 = Date.now();
  // start all at once: ports and passive ranges must not collide
  const started = await Promise.allSettled(combos.map((o) => startRealServer(o)));
  console.log(
    `started ${started.filter((r) => r.status === 'fulfilled').length}/${combos.length} servers in ${Date.now() - t0} ms`,
  );
  const rows: string[] = [];
  let failed = 0;
  for (const [i, o] of combos.entries()) {
    const r = started[i];
    const label = `${o.kind.padEnd(8)} ${o.mode.padEnd(8)} TLS ${o.tlsVersion}`;
    if (r === undefined || r.status === 'rejected') {
      failed++;
      rows.push(`FAIL ${label}: start: ${r?.status === 'rejected' ? String((r.reason as Error).message) : '?'}`);
      continue;
    }
    const s = r.value;
    const t = Date.now();
    try {
      const notes = await check(s, work);
      rows.push(`PASS ${label} port ${s.port} (${Date.now() - t} ms)${notes.length ? `  [${notes.join('; ')}]` : ''}`);
    } catch (err) {
      failed++;
      rows.push(`FAIL ${label} port ${s.port}: ${(err as Error).message}`);
    }
  }
  await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : Promise.resolve())));
  await fsp.rm(work, { recursive: true, force: true });
  console.log(rows.join('\n'));
  console.log(`${combos.length - failed}/${combos.length} passed in ${Date.now() - t0} ms`);
  process.exitCode = failed === 0 && combos.length > 0 ? 0 : 1;
}

await main();
