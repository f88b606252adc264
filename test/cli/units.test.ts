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
import { treeOptions } from '../../src/cli/commands/transfer.js';
import { TreeView } from '../../src/cli/commands/tree-view.js';
import { Context } from '../../src/cli/context.js';
import { HumanReporter, JsonReporter, type Reporter, type Stream } from '../../src/cli/output.js';
import { HIDE_CURSOR, LiveBars, renderRow, SHOW_CURSOR } from '../../src/cli/progress.js';
import { parseTarget } from '../../src/cli/target.js';
import {
  ConnectionError,
  FtpReplyError,
  TlsError,
  VerifyError,
  type ProgressEvent,
  type TreeProgress,
} from '../../src/index.js';
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
  const row = {
    label: 'backups/very-long-name-of-a-file.tar.gz',
    done: 512 * 1024,
    total: 1024 * 1024,
    bytesPerSecond: 256 * 1024,
  };
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
  bars.update([
    { label: 'a', done: 1, total: 2, bytesPerSecond: 1 },
    { label: 'b', done: 0, total: 2, bytesPerSecond: 0 },
  ]);
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
  const out = {
    text: '',
    isTTY: false,
    write(s: string) {
      this.text += s;
    },
  };
  const err = {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
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

const CSI = new RegExp(`^${String.fromCharCode(27)}\\[(\\?25l|\\?25h|(\\d*)A|J)`);

/**
 * Just enough of a terminal for the bars: text, newline, CR, cursor up (CSI n A), erase below (CSI J), cursor on/off.
 */
class Screen implements Stream {
  readonly isTTY = true;
  readonly columns = 80;
  readonly rows = 24;
  lines: string[] = [''];
  cursorHidden = false;
  #row = 0;
  #col = 0;

  write(text: string): boolean {
    for (let i = 0; i < text.length;) {
      const esc = CSI.exec(text.slice(i));
      if (esc !== null) {
        i += esc[0].length;
        if (esc[1] === '?25l' || esc[1] === '?25h') this.cursorHidden = esc[1] === '?25l';
        else if (esc[1] === 'J') {
          this.lines[this.#row] = (this.lines[this.#row] ?? '').slice(0, this.#col);
          this.lines.length = this.#row + 1;
        } else this.#row = Math.max(0, this.#row - Number(esc[2] === '' ? 1 : esc[2]));
        continue;
      }
      const ch = text[i++] as string;
      assert.notEqual(
        ch,
        '\x1b',
        `an escape sequence this terminal does not know: ${JSON.stringify(text.slice(i - 1, i + 8))}`,
      );
      if (ch === '\n') {
        this.#row++;
        this.#col = 0;
        if (this.#row >= this.lines.length) this.lines.push('');
      } else if (ch === '\r') this.#col = 0;
      else {
        const line = this.lines[this.#row] ?? '';
        this.lines[this.#row] = line.slice(0, this.#col).padEnd(this.#col) + ch + line.slice(this.#col + 1);
        this.#col++;
      }
    }
    return true;
  }

  /** What a capture of the terminal shows (trailing blank lines dropped). */
  get shown(): string[] {
    const lines = [...this.lines];
    while (lines.length > 0 && lines.at(-1)?.trim() === '') lines.pop();
    return lines;
  }

  get bars(): string[] {
    return this.shown.filter((l) => /\[[= ]*\] +(\d+|\?)% .* ETA /.test(l));
  }
}

/** A tree run's event as the library sends it (docs/pool-and-trees.md), for a run of 3 files of 400 B. */
function treeEvent(
  path: string,
  fileIndex: number,
  bytes: number | undefined,
  finished: boolean,
  filesDone: number,
  bytesDone: number,
  inFlight: number,
): TreeProgress {
  const file: ProgressEvent | undefined =
    bytes === undefined
      ? undefined
      : {
          name: `/www/${path}`,
          direction: 'upload',
          bytes,
          resumedFrom: 0,
          total: 400,
          bytesPerSecond: 200,
          done: finished,
        };
  return {
    filesDone,
    filesTotal: 3,
    bytesDone,
    bytesTotal: 1200,
    bytesInFlight: inFlight,
    filesRunning: 2,
    bytesPerSecond: 400,
    etaSeconds: 2,
    path,
    fileIndex,
    finished,
    ...(file === undefined ? {} : { file }),
  };
}

function treeRun(reporter: Reporter): (p: TreeProgress) => void {
  const parsed = parseCommandLine(['put', '-r', 'site', 'ftpes://h/www/']);
  assert.equal(parsed.kind, 'run');
  const ctx = new Context(
    parsed.kind === 'run' ? parsed.flags : ({} as never),
    reporter,
    new AbortController().signal,
    { env: {}, stdinPassword: async () => undefined },
  );
  return treeOptions(ctx, new TreeView(ctx, true, 'site', '/www')).onProgress;
}

test('folder runs on a terminal: a bar per moving file plus the overall bar, redrawn in place, a clean screen at the end', () => {
  const screen = new Screen();
  const reporter = new HumanReporter(screen, screen, { quiet: false, redrawMs: 0 });
  const onProgress = treeRun(reporter);
  onProgress(treeEvent('a.bin', 1, 100, false, 0, 0, 100));
  onProgress(treeEvent('sub/b.bin', 2, 50, false, 0, 0, 150));
  assert.ok(screen.cursorHidden);
  assert.equal(screen.bars.length, 3, screen.shown.join('\n'));
  assert.match(screen.bars[0] ?? '', /^site\/a\.bin +\[=+ +\] {2}25% 100 B\/400 B 200 B\/s ETA 0:02$/);
  assert.match(screen.bars[1] ?? '', /^site\/sub\/b\.bin +\[=* +\] {2}12% 50 B\/400 B /);
  assert.match(screen.bars[2] ?? '', /^total 0\/3 +\[=* +\] {2}12% 150 B\/1\.2 KiB /);
  assert.equal(new Set(screen.bars.map((l) => l.indexOf('['))).size, 1, `the bars line up:\n${screen.bars.join('\n')}`);
  onProgress(treeEvent('a.bin', 1, 300, false, 0, 0, 350));
  assert.equal(screen.bars.length, 3, `redrawn in place, not appended:\n${screen.shown.join('\n')}`);
  assert.match(screen.bars[0] ?? '', / 75% 300 B\/400 B /);
  // a.bin is copied: its line goes above the bars, its bar goes, sub/b.bin and the total stay; the third file starts.
  onProgress(treeEvent('a.bin', 1, 400, true, 1, 400, 50));
  assert.equal(screen.shown[0], 'put site/a.bin -> /www/a.bin 400 B');
  onProgress(treeEvent('c.bin', 3, 10, false, 1, 400, 60));
  assert.deepEqual(
    screen.bars.map((l) => l.split(' ')[0]),
    ['site/sub/b.bin', 'site/c.bin', 'total'],
    screen.shown.join('\n'),
  );
  assert.match(screen.bars[2] ?? '', /^total 1\/3 /);
  assert.equal(screen.shown.length, 4);
  // The end erases the bars and shows the cursor.
  onProgress(treeEvent('sub/b.bin', 2, 400, true, 2, 800, 10));
  onProgress(treeEvent('c.bin', 3, 400, true, 3, 1200, 0));
  reporter.finish();
  assert.equal(screen.cursorHidden, false);
  assert.deepEqual(screen.bars, []);
  assert.deepEqual(screen.shown.slice(0, 3), [
    'put site/a.bin -> /www/a.bin 400 B',
    'put site/sub/b.bin -> /www/sub/b.bin 400 B',
    'put site/c.bin -> /www/c.bin 400 B',
  ]);
  assert.equal(screen.shown.length, 4, screen.shown.join('\n'));
  assert.match(screen.shown[3] ?? '', /^3\/3 files, 1\.2 KiB in \d+\.\d s$/);
  assert.ok(
    screen.shown.every((l) => !/ETA|\[/.test(l)),
    screen.shown.join('\n'),
  );
});

test('an error line on stderr, the same terminal: above the bars, which stay whole', () => {
  const screen = new Screen();
  const stderr = { write: (text: string) => screen.write(text) }; // another stream, the same terminal
  const reporter = new HumanReporter(screen, stderr, { quiet: false, redrawMs: 0 });
  reporter.totals(30, 3);
  reporter.progress('a', 5, 10, 100);
  reporter.progress('b', 1, 10, 100);
  reporter.failed('c', new Error('boom'));
  assert.equal(screen.shown[0], 'error: c: boom');
  assert.deepEqual(
    screen.bars.map((l) => l.split(' ')[0]),
    ['a', 'b', 'total'],
    screen.shown.join('\n'),
  );
  reporter.progress('a', 8, 10, 100);
  reporter.warn('careful');
  reporter.progress('b', 9, 10, 100);
  assert.deepEqual(screen.shown.slice(0, 2), ['error: c: boom', 'warning: careful'], screen.shown.join('\n'));
  assert.equal(screen.shown.length, 5, `no stale bar lines:\n${screen.shown.join('\n')}`);
  reporter.finish();
  assert.deepEqual(screen.bars, []);
  assert.deepEqual(screen.shown.slice(0, 2), ['error: c: boom', 'warning: careful']);
});

test('folder runs: Ctrl-C (restore) erases the per-file bars and shows the cursor', () => {
  const screen = new Screen();
  const reporter = new HumanReporter(screen, screen, { quiet: false, redrawMs: 0 });
  const onProgress = treeRun(reporter);
  onProgress(treeEvent('a.bin', 1, 100, false, 0, 0, 100));
  onProgress(treeEvent('sub/b.bin', 2, 50, false, 0, 0, 150));
  assert.equal(screen.bars.length, 3);
  reporter.restore();
  assert.deepEqual(screen.shown, []);
  assert.equal(screen.cursorHidden, false);
  onProgress(treeEvent('a.bin', 1, 200, false, 0, 0, 250));
  assert.deepEqual(screen.shown, [], 'no bar drawn after the restore');
});

test('folder runs without a terminal: one line per copied file, no progress; with --json --progress, per-file progress events', () => {
  const out = {
    text: '',
    isTTY: false,
    write(s: string) {
      this.text += s;
    },
  };
  const plain = treeRun(new HumanReporter(out, out, { quiet: false, redrawMs: 0 }));
  plain(treeEvent('a.bin', 1, 100, false, 0, 0, 100));
  assert.equal(out.text, '', 'no progress noise');
  plain(treeEvent('a.bin', 1, 400, true, 1, 400, 0));
  assert.equal(out.text, 'put site/a.bin -> /www/a.bin 400 B\n', 'the line of a copied file, as soon as it is copied');
  const json = {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
  const events = treeRun(new JsonReporter(json, { events: true }));
  events(treeEvent('a.bin', 1, 100, false, 0, 0, 100));
  events(treeEvent('sub/b.bin', 2, 50, false, 0, 0, 150));
  events(treeEvent('a.bin', 1, 400, true, 1, 400, 50));
  const lines = json.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.filter((e) => e.event === 'progress'),
    [
      { event: 'progress', name: 'site/a.bin', bytes: 100, total: 400, bytesPerSecond: 200 },
      { event: 'progress', name: 'site/sub/b.bin', bytes: 50, total: 400, bytesPerSecond: 200 },
      { event: 'progress', name: 'site/a.bin', bytes: 400, total: 400, bytesPerSecond: 200 },
    ],
  );
  assert.deepEqual(
    lines.filter((e) => e.event === 'done'),
    [{ event: 'done', op: 'put', local: 'site/a.bin', remote: '/www/a.bin', bytes: 400 }],
  );
  assert.deepEqual(lines.at(-1), { event: 'overall', bytesDone: 450, bytesTotal: 1200, filesDone: 1, filesTotal: 3 });
});

test('netrc: tokens, quotes, macdef, default, matching by host and login', () => {
  const entries = parseNetrc(
    'machine a.example login u1 password p1\nmacdef init\ncd /x\nls\n\nmachine b.example\n login u2\n password "p w"\ndefault login anon password guest\n',
  );
  assert.deepEqual(findNetrcEntry(entries, 'B.EXAMPLE', undefined), {
    machine: 'b.example',
    login: 'u2',
    password: 'p w',
  });
  assert.equal(findNetrcEntry(entries, 'a.example', 'someone'), undefined, 'no entry for another login');
  assert.equal(
    findNetrcEntry(entries, 'a.example', 'anon')?.password,
    'guest',
    'the default entry when its login fits',
  );
  assert.equal(findNetrcEntry(entries, 'c.example', undefined)?.password, 'guest');
  assert.equal(entries.length, 3);
});

test('netrc: a file with a password readable by others is refused', () => {
  const tmp = tempDir();
  try {
    const file = path.join(tmp.dir, 'netrc');
    writeFileSync(file, 'machine h login u password p\n');
    chmodSync(file, 0o640);
    assert.throws(
      () => readNetrc(file, true),
      (e: unknown) => e instanceof UsageError && /readable by others/.test(e.message) && !e.message.includes(' p\n'),
    );
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
    assert.equal(
      resolveCredentials({ ...base, urlUser: 'uu', env: { FTPS_USER: 'eu', FTPS_PASSWORD: 'ep' } }).user,
      'uu',
    );
    assert.equal(resolveCredentials({ ...base, stdinPassword: 'sp', env: { FTPS_PASSWORD: 'ep' } }).password, 'sp');
    assert.equal(resolveCredentials({ ...base, env: { FTPS_PASSWORD: 'ep' } }).password, 'ep');
    // netrc's password is for its own login only
    assert.throws(() => resolveCredentials({ ...base, urlUser: 'other' }), /No password for user "other"/);
    assert.throws(() => resolveCredentials({ ...base, netrcFile: path.join(tmp.dir, 'missing') }), UsageError);
    assert.deepEqual(
      resolveCredentials({ ...base, host: 'elsewhere' }).source,
      { user: 'default', password: 'default' },
      'anonymous when nothing matches',
    );
  } finally {
    tmp.cleanup();
  }
});

test('targets: schemes, ports, users, --plain, no password in URLs', () => {
  assert.deepEqual(parseTarget('ftps://me@host/a%20b/', false), {
    host: 'host',
    port: undefined,
    secure: 'implicit',
    user: 'me',
    path: '/a b',
    isDir: true,
    origin: 'ftps://host',
  });
  assert.equal(parseTarget('ftpes://[::1]:2121/x', false).host, '::1');
  assert.equal(parseTarget('ftpes://h', false).path, '/');
  assert.throws(() => parseTarget('ftp://h/', false), /--plain/);
  assert.equal(parseTarget('ftp://h/', true).secure, false);
  assert.throws(() => parseTarget('ftpes://u:pw@h/', false), /password in the URL/);
});

test('arguments: flags, numbers, pins, --progress needs --json', () => {
  const p = parseCommandLine([
    'put',
    '-r',
    '--parallel',
    '8',
    '--atomic',
    '--tls-min',
    '1.3',
    '--pin',
    `sha256/${'A'.repeat(43)}=`,
    'a',
    'ftpes://h/',
  ]);
  assert.equal(p.kind, 'run');
  if (p.kind !== 'run') return;
  assert.deepEqual(
    [p.flags.recursive, p.flags.parallel, p.flags.atomic, p.flags.tlsMin, p.args],
    [true, 8, true, 'TLSv1.3', ['a', 'ftpes://h/']],
  );
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
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, FTPS_LOAD_LOG: log },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('file:'));
    };
    const library = loaded('dist/index.js');
    assert.ok(
      library.some((u) => u.endsWith('/dist/client.js')),
      'the hook saw the library load',
    );
    assert.deepEqual(
      library.filter((u) => u.includes('/dist/cli/') || u.includes('/dist/probe/cli')),
      [],
    );
    // The hook does see CLI modules when they load: the check above can fail.
    const cli = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { register } from 'node:module'; register(${JSON.stringify(hook)}); process.argv = [process.argv[0], 'ftps', '--version']; await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/cli/main.js')).href)});`,
      ],
      { env: { ...process.env, FTPS_LOAD_LOG: log }, encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.ok(readFileSync(log, 'utf8').includes('/dist/cli/args.js'));
  } finally {
    tmp.cleanup();
  }
});
