// The built `ftps` binary against real vsftpd and proftpd: transfers, credentials, exit codes and
// probe (implicit vs explicit, TLS 1.2-only and 1.3-only, session reuse required).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PortReport } from '../../src/index.js';
import { skipReason } from '../interop/support.js';
import { startRealServer, type RealServer, type ServerKind, type TlsMode, type TlsVersion } from '../servers/real.js';
import { assertExit, ESCAPE, runCli, tempDir } from './support.js';

const SETUPS: [ServerKind, TlsMode, TlsVersion][] = [
  ['vsftpd', 'implicit', '1.2'],
  ['proftpd', 'explicit', '1.3'],
];

for (const [kind, mode, tlsVersion] of SETUPS) {
  describe(`ftps against ${kind} ${mode} TLS ${tlsVersion}`, { skip: skipReason(kind), timeout: 120_000 }, () => {
    let server: RealServer;
    let tmp: ReturnType<typeof tempDir>;
    let env: Record<string, string>;
    let base: string;
    const ca = (): string[] => ['--ca', server.caFile];
    before(async () => {
      server = await startRealServer({ kind, mode, tlsVersion });
      tmp = tempDir();
      env = { HOME: tmp.dir, FTPS_USER: server.user, FTPS_PASSWORD: server.password };
      base = `${mode === 'implicit' ? 'ftps' : 'ftpes'}://127.0.0.1:${server.port}`;
    });
    after(async () => {
      await server?.stop();
      tmp?.cleanup();
    });

    it('put (parallel, atomic, verify), ls --json, get --resume, mv, rm, mkdir -p', async () => {
      const files = ['a.bin', 'b.bin', 'c.bin'].map((n, i) => {
        const p = path.join(tmp.dir, n);
        writeFileSync(p, Buffer.alloc(100_000 * (i + 1), i + 1));
        return p;
      });
      const put = await runCli(['put', '--parallel', '3', '--atomic', '--verify', ...ca(), ...files, `${base}/up/`], {
        env,
      });
      assertExit(put, 0, 'put');
      assert.equal(
        put.stdout
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('put ')).length,
        3,
      );
      assert.doesNotMatch(put.stdout + put.stderr, ESCAPE);
      const ls = await runCli(['ls', '--json', ...ca(), `${base}/up`], { env });
      const entries = (JSON.parse(ls.stdout) as { entries: { name: string; size: number }[] }).entries;
      assert.deepEqual(
        entries.map((e) => [e.name, e.size]),
        [
          ['a.bin', 100_000],
          ['b.bin', 200_000],
          ['c.bin', 300_000],
        ],
      );
      const dest = path.join(tmp.dir, 'c.copy');
      writeFileSync(dest, Buffer.alloc(1000, 3)); // a partial earlier download
      const get = await runCli(['get', '--resume', '--verify', ...ca(), `${base}/up/c.bin`, dest], { env });
      assertExit(get, 0, 'get --resume');
      assert.match(get.stdout, /resumed at 1000/);
      assert.ok(readFileSync(dest).equals(Buffer.alloc(300_000, 3)));
      assertExit(await runCli(['mv', ...ca(), `${base}/up/a.bin`, 'z.bin'], { env }), 0, 'mv');
      assertExit(await runCli(['mkdir', '-p', ...ca(), `${base}/deep/er/est`], { env }), 0, 'mkdir -p');
      assertExit(await runCli(['rm', ...ca(), `${base}/up/z.bin`], { env }), 0, 'rm');
      const after = await runCli(['ls', ...ca(), `${base}/up`], { env });
      assert.deepEqual(after.stdout.trim().split('\n'), ['b.bin', 'c.bin']);
    });

    it('mirror up and --reverse down, with --delete', async () => {
      const src = path.join(tmp.dir, 'site');
      mkdirSync(path.join(src, 'css'), { recursive: true });
      writeFileSync(path.join(src, 'index.html'), '<h1>hi</h1>');
      writeFileSync(path.join(src, 'css', 's.css'), 'body{}');
      assertExit(await runCli(['mirror', ...ca(), src, `${base}/site`], { env }), 0, 'mirror up');
      const down = path.join(tmp.dir, 'down');
      mkdirSync(down);
      writeFileSync(path.join(down, 'extra.txt'), 'x');
      const rev = await runCli(['mirror', '--reverse', '--delete', '--json', ...ca(), `${base}/site`, down], { env });
      assertExit(rev, 0, 'mirror --reverse --delete');
      assert.equal((JSON.parse(rev.stdout) as { ok: boolean }).ok, true);
      assert.equal(readFileSync(path.join(down, 'css', 's.css'), 'utf8'), 'body{}');
      assert.throws(() => readFileSync(path.join(down, 'extra.txt')));
    });

    it('exit codes: untrusted certificate 4, wrong password 5, refused 6; credentials from netrc', async () => {
      assertExit(await runCli(['ls', `${base}/`], { env }), 4, 'no CA');
      const wrong = await runCli(['ls', ...ca(), `${base}/`], { env: { ...env, FTPS_PASSWORD: 'not-it' } });
      assertExit(wrong, 5, 'wrong password');
      assertExit(
        await runCli(['get', ...ca(), `${base}/nope.bin`, path.join(tmp.dir, 'nope')], { env }),
        6,
        'missing file',
      );
      const netrc = path.join(tmp.dir, 'netrc');
      writeFileSync(netrc, `machine 127.0.0.1 login ${server.user} password ${server.password}\n`, { mode: 0o600 });
      assertExit(
        await runCli(['ls', '--netrc-file', netrc, ...ca(), `${base}/`], { env: { HOME: tmp.dir } }),
        0,
        'netrc',
      );
    });

    it('probe names the mode, the one TLS version, the chain and the session-reuse requirement', async () => {
      const r = await runCli(['probe', '--json', ...ca(), base.replace('://', `://${server.user}@`)], {
        env: { HOME: tmp.dir, FTPS_PASSWORD: server.password },
      });
      assertExit(r, 0, 'probe');
      const port = (JSON.parse(r.stdout) as { ports: PortReport[] }).ports[0] as PortReport;
      assert.equal(port.mode, mode);
      assert.equal(port.tls?.protocol, `TLSv${tlsVersion}`);
      assert.deepEqual(port.tls?.versions, {
        'TLSv1.3': tlsVersion === '1.3',
        'TLSv1.2': tlsVersion === '1.2',
        'TLSv1.1': false,
        TLSv1: false,
      });
      assert.equal(port.tls?.verification.ok, true);
      assert.equal(port.features?.highlights.MLSD, kind === 'proftpd');
      assert.equal(port.login?.login.ok, true);
      assert.equal(port.login?.dataConnection?.ok, true);
      assert.equal(port.login?.sessionReuseRequired, true, port.login?.sessionReuseDetail);
      assert.equal(port.login?.pasv?.matchesControlHost, true);
    });
  });
}
