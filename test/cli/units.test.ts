// The CLI's pure parts: the bar renderer, the live screen's escape codes, netrc, targets, arguments,
// exit-code classes; and that importing the library loads no CLI module.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { parseCommandLine } from '../../src/cli/args.js';
import { resolveCredentials } from '../../src/cli/credentials.js';
import { EXIT, exitCodeOf, UsageError } from '../../src/cli/exit.js';
import { eta, formatBytes, formatDuration } from '../../src/cli/format.js';
import { findNetrcEntry, parseNetrc, readNetrc } from '../../src/cli/netrc.js';
import { HumanReporter } from '../../src/cli/output.js';
import { HIDE_CURSOR, LiveBars, renderRow, SHOW_CURSOR } from '../../src/cli/progress.js';
import { parseTarget } from '../../src/cli/target.js';
import { ConnectionError, FtpReplyError, TlsError, VerifyError } from '../../src/index.js';
import { ESCAPE, ROOT, tempDir } from './support.js';

test('formatting of sizes, durations and ETA', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(50 * 1024 * 1024), '50 MiB');
  assert.equal(formatDuration(65), '1:05');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(undefined), '--:--');
  assert.equal(eta(50, 150, 10), 10);
  assert.equal(eta(50, undefined, 10), undefined);
});

test('renderRow fits the width and shows percent, bytes, rate and ETA', () => {
  const row = { label: 'backups/very-long-name-of-a-file.tar.gz', done: 512 * 1024, total: 1024 * 1024, bytesPerSecond: 256 * 1024 };
  for (const width of [40, 60, 79, 120]) {
    const line = renderRow(row, width);
    assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
  }
  const wide = renderRow(row, 120);
  assert.match(wide, / 50% 512 KiB\/1.0 MiB 256 KiB\/s ETA 0:02$/);
  assert.match(wide, /\[=+ +\]/);
  assert.match(renderRow({ ...row, done: row.total }, 100), /\[=+\] 100%/);
  assert.match(renderRow({ ...row, total: undefined }, 100), / {2}\?% 512 KiB /);
});

class FakeTty {
  text = '';
  readonly columns = 80;
  readonly rows = 24;
  readonly isTTY = true;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

test('LiveBars redraws in place, prints log lines above the bars, and restores the cursor', () => {
  const out = new FakeTty();
  const bars = new LiveBars(out, { intervalMs: 0 });
  bars.update([{ label: 'a', done: 1, total: 2, bytesPerSecond: 1 }, { label: 'b', done: 0, total: 2, bytesPerSecond: 0 }]);
  assert.ok(out.text.startsWith(HIDE_CURSOR));
  assert.equal(out.text.split('\n').length - 1, 2, 'two bar lines');
  out.text = '';
  bars.update([{ label: 'a', done: 2, total: 2, bytesPerSecond: 1 }]);
  assert.ok(out.text.startsWith('\x1b[2A\r\x1b[J'), `moves up over the two old lines: ${JSON.stringify(out.text)}`);
  out.text = '';
  bars.log('put a -> /a');
  assert.ok(out.text.startsWith('\x1b[1A\r\x1b[Jput a -> /a\n'), JSON.stringify(out.text));
  assert.match(out.text, /100%/);
  out.text = '';
  bars.finish();
  assert.equal(out.text, `\x1b[1A\r\x1b[J${SHOW_CURSOR}`);
  bars.finish();
  bars.update([{ label: 'late', done: 1, total: 1, bytesPerSecond: 1 }]);
  assert.equal(out.text, `\x1b[1A\r\x1b[J${SHOW_CURSOR}`, 'nothing after finish');
});

test('HumanReporter without a TTY prints one plain line per file', () => {
  const out = { text: '', isTTY: false, write(s: string) { this.text += s; } };
  const err = { text: '', write(s: string) { this.text += s; } };
  const r = new HumanReporter(out, err, { quiet: false });
  r.totals(30, 2);
  r.progress('a', 5, 10, 100);
  r.done({ op: 'put', local: 'a', remote: '/a', bytes: 10, durationMs: 10 });
  r.failed('b', new Error('boom'));
  r.finish();
  assert.doesNotMatch(out.text + err.text, ESCAPE);
  assert.equal(out.text.split('\n')[0], 'put a -> /a 10 B 1000 B/s');
  assert.equal(err.text, 'error: b: boom\n');
});

test('netrc: tokens, quotes, macdef, default, matching by host and login', () => {
  const entries = parseNetrc('machine a.example login u1 password p1\nmacdef init\ncd /x\nls\n\nmachine b.example\n login u2\n password "p w"\ndefault login anon password guest\n');
  assert.deepEqual(findNetrcEntry(entries, 'B.EXAMPLE', undefined), { machine: 'b.example', login: 'u2', password: 'p w' });
  assert.equal(findNetrcEntry(entries, 'a.example', 'someone'), undefined, 'no entry for another login');
  assert.equal(findNetrcEntry(entries, 'a.example', 'anon')?.password, 'guest', 'the default entry when its login fits');
  assert.equal(findNetrcEntry(entries, 'c.example', undefined)?.password, 'guest');
  assert.equal(entries.length, 3);
});

test('netrc: a file with a password readable by others is refused', () => {
  const tmp = tempDir();
  try {
    const file = path.join(tmp.dir, 'netrc');
    writeFileSync(file, 'machine h login u password p\n');
    chmodSync(file, 0o640);
    assert.throws(() => readNetrc(file, true), (e: unknown) => e instanceof UsageError && /readable by others/.test(e.message) && !e.message.includes(' p\n'));
    chmodSync(file, 0o600);
    assert.equal(readNetrc(file, true).length, 1);
    assert.deepEqual(readNetrc(path.join(tmp.dir, 'none'), false), []);
    assert.throws(() => readNetrc(path.join(tmp.dir, 'none'), true), UsageError);
  } finally {
    tmp.cleanup();
  }
});

test('credential precedence: URL user, stdin, env, netrc', () => {
  const tmp = tempDir();
  try {
    const netrcFile = path.join(tmp.dir, 'n');
    writeFileSync(netrcFile, 'machine h login nu password np\n', { mode: 0o600 });
    const base = { host: 'h', netrcFile, env: {} as NodeJS.ProcessEnv, urlUser: undefined, stdinPassword: undefined };
    assert.deepEqual(resolveCredentials(base).source, { user: 'netrc', password: 'netrc' });
    assert.equal(resolveCredentials({ ...base, env: { FTPS_USER: 'eu', FTPS_PASSWORD: 'ep' } }).user, 'eu');
    assert.equal(resolveCredentials({ ...base, urlUser: 'uu', env: { FTPS_USER: 'eu', FTPS_PASSWORD: 'ep' } }).user, 'uu');
    assert.equal(resolveCredentials({ ...base, stdinPassword: 'sp', env: { FTPS_PASSWORD: 'ep' } }).password, 'sp');
    assert.equal(resolveCredentials({ ...base, env: { FTPS_PASSWORD: 'ep' } }).password, 'ep');
    // netrc's password is for its own login only
    assert.throws(() => resolveCredentials({ ...base, urlUser: 'other' }), /No password for user "other"/);
    assert.throws(() => resolveCredentials({ ...base, netrcFile: path.join(tmp.dir, 'missing') }), UsageError);
    assert.deepEqual(resolveCredentials({ ...base, host: 'elsewhere' }).source, { user: 'default', password: 'default' }, 'anonymous when nothing matches');
  } finally {
    tmp.cleanup();
  }
});

test('targets: schemes, ports, users, --plain, no password in URLs', () => {
  assert.deepEqual(parseTarget('ftps://me@host/a%20b/', false), { host: 'host', port: undefined, secure: 'implicit', user: 'me', path: '/a b', isDir: true, origin: 'ftps://host' });
  assert.equal(parseTarget('ftpes://[::1]:2121/x', false).host, '::1');
  assert.equal(parseTarget('ftpes://h', false).path, '/');
  assert.throws(() => parseTarget('ftp://h/', false), /--plain/);
  assert.equal(parseTarget('ftp://h/', true).secure, false);
  assert.throws(() => parseTarget('ftpes://u:pw@h/', false), /password in the URL/);
});

test('arguments: flags, numbers, pins, --progress needs --json', () => {
  const p = parseCommandLine(['put', '-r', '--parallel', '8', '--atomic', '--tls-min', '1.3', '--pin', `sha256/${'A'.repeat(43)}=`, 'a', 'ftpes://h/']);
  assert.equal(p.kind, 'run');
  if (p.kind !== 'run') return;
  assert.deepEqual([p.flags.recursive, p.flags.parallel, p.flags.atomic, p.flags.tlsMin, p.args], [true, 8, true, 'TLSv1.3', ['a', 'ftpes://h/']]);
  assert.throws(() => parseCommandLine(['ls', '--progress', 'ftpes://h/']), /--json/);
  assert.throws(() => parseCommandLine(['ls', '--tls-min', '1.0', 'ftpes://h/']), /docs\/probe\.md/);
  assert.throws(() => parseCommandLine(['ls', '--password', 'x']), UsageError);
});

test('exit-code classes: a wrong password and an untrusted certificate differ', () => {
  assert.equal(exitCodeOf(new FtpReplyError(530, 'Login incorrect', 'login'), false), EXIT.login);
  assert.equal(exitCodeOf(new TlsError('self-signed certificate'), false), EXIT.tls);
  assert.equal(exitCodeOf(new FtpReplyError(550, 'No such file', 'RETR x'), true), EXIT.refused);
  assert.equal(exitCodeOf(new FtpReplyError(421, 'Too many', 'greeting'), false), EXIT.connect);
  assert.equal(exitCodeOf(new ConnectionError('refused'), false), EXIT.connect);
  assert.equal(exitCodeOf(new ConnectionError('reset'), true), EXIT.transfer);
  assert.equal(exitCodeOf(new VerifyError('/x', 'size', 1, 2), true), EXIT.transfer);
  assert.equal(exitCodeOf(new UsageError('x'), false), EXIT.usage);
  assert.equal(exitCodeOf(new DOMException('aborted', 'AbortError'), true), EXIT.interrupted);
});

test('package.json bin: npx ftps runs the built, executable entry with a shebang', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.ftps, './dist/cli/main.js');
  const entry = path.join(ROOT, 'dist', 'cli', 'main.js');
  assert.ok(readFileSync(entry, 'utf8').startsWith('#!/usr/bin/env node\n'));
  assert.notEqual(statSync(entry).mode & 0o111, 0, 'executable');
  const r = spawnSync('npx', ['--no-install', 'ftps', '--help'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: ftps <command>/);
});

test('importing the library loads no CLI module (dist, module graph recorded by a loader hook)', () => {
  const tmp = tempDir();
  try {
    const log = path.join(tmp.dir, 'loaded.txt');
    const hook = pathToFileURL(path.join(ROOT, 'test', 'cli', 'load-hook.mjs')).href;
    const loaded = (entry: string): string[] => {
      writeFileSync(log, '');
      const script = `import { register } from 'node:module'; register(${JSON.stringify(hook)}); await import(${JSON.stringify(pathToFileURL(path.join(ROOT, entry)).href)});`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, FTPS_LOAD_LOG: log }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('file:'));
    };
    const library = loaded('dist/index.js');
    assert.ok(library.some((u) => u.endsWith('/dist/client.js')), 'the hook saw the library load');
    assert.deepEqual(library.filter((u) => u.includes('/dist/cli/') || u.includes('/dist/probe/cli')), []);
    // The hook does see CLI modules when they load: the check above can fail.
    const cli = spawnSync(process.execPath, ['--input-type=module', '-e', `import { register } from 'node:module'; register(${JSON.stringify(hook)}); process.argv = [process.argv[0], 'ftps', '--version']; await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/cli/main.js')).href)});`], { env: { ...process.env, FTPS_LOAD_LOG: log }, encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.ok(readFileSync(log, 'utf8').includes('/dist/cli/args.js'));
  } finally {
    tmp.cleanup();
  }
});
