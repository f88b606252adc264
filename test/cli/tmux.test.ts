// A real terminal: a multi-file parallel `ftps put`, and folder runs (`put -r`, `mirror --reverse`),
// under tmux, against vsftpd behind a rate-limited forwarding proxy (so the run lasts long enough
// to be seen). The pane is captured mid-run (bars with percent, rate and ETA, one per running file
// plus the total) and at the end (every file reported, no bar left behind, the summary last).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { spkiPin } from '../../src/index.js';
import { link, startForwardProxy } from '../helpers/forward-proxy.js';
import { skipReason } from '../interop/support.js';
import { startRealServer } from '../servers/real.js';
import { BIN, tempDir } from './support.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skip =
  skipReason('vsftpd') ||
  (hasTmux
    ? false
    : process.env.FTPS_INTEROP_REQUIRED === '1'
      ? assert.fail('tmux missing: run test/servers/install.sh')
      : 'tmux not installed');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(
  'progress bars in a real terminal: rendered mid-run, a clean screen at the end',
  { skip, timeout: 90_000 },
  async () => {
    const server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
    const proxy = await startForwardProxy({
      target: { host: server.host, port: server.port, passive: server.passive },
      shaping: link({ rttMs: 2, rateBytesPerSec: 600_000 }),
    });
    const tmp = tempDir();
    const socket = `ftps-cli-test-${process.pid}`;
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    try {
      const files = [1, 2, 3, 4].map((i) => {
        const p = path.join(tmp.dir, `file-${i}.bin`);
        writeFileSync(p, Buffer.alloc(1_200_000, i));
        return p;
      });
      // The proxy listens on 127.0.0.x, a name the certificate lacks: the key pin authenticates it.
      const pin = spkiPin(readFileSync(new URL('../fixtures/tls/server.pem', import.meta.url), 'utf8'));
      const command = [
        process.execPath,
        BIN,
        'put',
        '--parallel',
        '4',
        '--pin',
        pin,
        ...files,
        `ftpes://${proxy.host}:${proxy.port}/tty/`,
      ]
        .map((a) => `'${a}'`)
        .join(' ');
      tmux(
        'new-session',
        '-d',
        '-s',
        'put',
        '-x',
        '120',
        '-y',
        '30',
        '-e',
        `FTPS_USER=${server.user}`,
        '-e',
        `FTPS_PASSWORD=${server.password}`,
        '-e',
        `HOME=${tmp.dir}`,
        `${command}; echo EXIT=$?; sleep 60`,
      );
      // Mid-run: wait for a frame with bars.
      let mid = '';
      for (let i = 0; i < 200 && !/EXIT=|file-\d\.bin +\[=+ *\]/.test(mid); i++) {
        await sleep(100);
        mid = tmux('capture-pane', '-p', '-t', 'put');
      }
      const bars = mid.split('\n').filter((l) => /\[[= ]+\]\s+\d+% .* ETA /.test(l));
      assert.ok(bars.length >= 2, `bars in the pane mid-run:\n${mid}`);
      assert.ok(
        bars.some((l) => l.startsWith('total ')),
        `an overall bar:\n${mid}`,
      );
      assert.ok(
        bars.some((l) => /file-\d\.bin/.test(l)),
        `per-file bars:\n${mid}`,
      );
      assert.ok(
        bars.every((l) => l.length <= 120),
        'no line wider than the terminal',
      );
      // The end.
      let end = '';
      for (let i = 0; i < 600 && !/EXIT=\d+/.test(end); i++) {
        await sleep(100);
        end = tmux('capture-pane', '-p', '-t', 'put');
      }
      const lines = end.split('\n').filter((l) => l.trim() !== '');
      assert.ok(lines.includes('EXIT=0'), `exit status:\n${end}`);
      assert.equal(
        lines.filter((l) => /^put .*file-\d\.bin -> \/tty\/file-\d\.bin /.test(l)).length,
        4,
        `one line per file:\n${end}`,
      );
      assert.ok(!/ETA|\[=/.test(end), `no bar left on the final screen:\n${end}`);
      assert.match(lines[lines.indexOf('EXIT=0') - 1] ?? '', /^4\/4 files, 4\.6 MiB in \d+\.\d s$/);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      await proxy.stop();
      await server.stop();
      tmp.cleanup();
    }
  },
);

/** A tmux pane running one shell command line, captured until a pattern shows. */
class Pane {
  readonly #socket: string;
  readonly #name: string;

  constructor(socket: string, name: string, env: Record<string, string>, command: string) {
    this.#socket = socket;
    this.#name = name;
    const vars = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.#tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '30', ...vars, `${command}; echo EXIT=$?; sleep 60`);
  }

  #tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.#socket, ...args], { encoding: 'utf8' });
  }

  /** Captures every 100 ms until `pattern` shows (or `tries` captures), returning the last capture. */
  async until(pattern: RegExp, tries: number): Promise<string> {
    let shown = '';
    for (let i = 0; i < tries && !pattern.test(shown); i++) {
      await sleep(100);
      shown = this.#tmux('capture-pane', '-p', '-t', this.#name);
    }
    return shown;
  }
}

const BAR = /\[[= ]+\]\s+\d+% .* ETA /;

test(
  'folder runs in a real terminal: put -r and mirror --reverse show a bar per running file, a clean screen at the end',
  { skip, timeout: 120_000 },
  async () => {
    const server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
    // Upload progress counts bytes handed to the socket, and loopback kernel buffers take a few MB at
    // once: files well beyond that, and a window, so that uploads too are seen mid-file.
    const shaping = link({ rttMs: 2, rateBytesPerSec: 2_000_000, windowBytes: 64 * 1024 });
    const proxy = await startForwardProxy({
      target: { host: server.host, port: server.port, passive: server.passive },
      shaping,
    });
    const tmp = tempDir();
    const socket = `ftps-cli-test-tree-${process.pid}`;
    try {
      const site = path.join(tmp.dir, 'site');
      mkdirSync(path.join(site, 'sub'), { recursive: true });
      const names = ['f-1.bin', 'f-2.bin', 'sub/f-3.bin', 'sub/f-4.bin'];
      names.forEach((n, i) => writeFileSync(path.join(site, n), Buffer.alloc(8_000_000, i)));
      const pin = spkiPin(readFileSync(new URL('../fixtures/tls/server.pem', import.meta.url), 'utf8'));
      const env = { FTPS_USER: server.user, FTPS_PASSWORD: server.password, HOME: tmp.dir };
      const line = (...args: string[]): string => [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
      const url = `ftpes://${proxy.host}:${proxy.port}/tree/`;
      const runs = [
        {
          name: 'putr',
          args: ['put', '-r', '--parallel', '3', '--pin', pin, site, url],
          label: /^\S*(sub\/)?f-\d\.bin +\[/,
          done: /^put \S*site\/(sub\/)?f-\d\.bin -> \/tree\/site\/(sub\/)?f-\d\.bin /,
        },
        {
          name: 'mirror',
          args: ['mirror', '--reverse', '--parallel', '3', '--pin', pin, `${url}site`, path.join(tmp.dir, 'back')],
          label: /^\S*(sub\/)?f-\d\.bin +\[/,
          done: /^get \S*site\/(sub\/)?f-\d\.bin -> \S*back\/(sub\/)?f-\d\.bin /,
        },
      ];
      for (const run of runs) {
        const pane = new Pane(socket, run.name, env, line(...run.args));
        // Mid-run: wait for a frame with two files' bars (the files of a folder run move in parallel).
        const mid = await pane.until(new RegExp(`EXIT=|(${run.label.source.slice(1)}.*\\n){2}`, 'm'), 300);
        const bars = mid.split('\n').filter((l) => BAR.test(l));
        const fileBars = bars.filter((l) => run.label.test(l));
        assert.ok(
          fileBars.length >= 2 && fileBars.length <= 3,
          `${run.name}: a bar per running file (at most --parallel) mid-run:\n${mid}`,
        );
        assert.ok(
          bars.some((l) => /^total \d\/4 /.test(l)),
          `${run.name}: the overall bar:\n${mid}`,
        );
        assert.ok(
          bars.every((l) => l.length <= 120),
          'no line wider than the terminal',
        );
        // The fourth file runs once one of the first three is done: that one's line is above the bars.
        const later = await pane.until(new RegExp(`${run.done.source}[^]*\\n${run.label.source.slice(1)}`, 'm'), 300);
        assert.match(
          later,
          new RegExp(`${run.done.source}[^]*\\n${run.label.source.slice(1)}`, 'm'),
          `${run.name}: a finished file's line while others move:\n${later}`,
        );
        // The end.
        const end = await pane.until(/EXIT=\d+/, 600);
        const lines = end.split('\n').filter((l) => l.trim() !== '');
        assert.ok(lines.includes('EXIT=0'), `${run.name}: exit status:\n${end}`);
        assert.equal(lines.filter((l) => run.done.test(l)).length, 4, `${run.name}: one line per file:\n${end}`);
        assert.ok(!/ETA|\[=/.test(end), `${run.name}: no bar left on the final screen:\n${end}`);
        assert.match(lines[lines.indexOf('EXIT=0') - 1] ?? '', /^4\/4 files, 31 MiB in \d+\.\d s$/, end);
      }
      for (const n of names)
        assert.ok(readFileSync(path.join(tmp.dir, 'back', n)).equals(readFileSync(path.join(site, n))), n);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      await proxy.stop();
      await server.stop();
      tmp.cleanup();
    }
  },
);

test(
  'Ctrl-C in a real terminal: exit 130, bars erased, nothing under a final name with --atomic',
  { skip, timeout: 90_000 },
  async () => {
    const server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.2' });
    const proxy = await startForwardProxy({
      target: { host: server.host, port: server.port, passive: server.passive },
      shaping: link({ rttMs: 2, rateBytesPerSec: 300_000 }),
    });
    const tmp = tempDir();
    const socket = `ftps-cli-test-int-${process.pid}`;
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    try {
      const files = [1, 2].map((i) => {
        const p = path.join(tmp.dir, `big-${i}.bin`);
        // More than the proxy and kernel buffers: still running at Ctrl-C.
        writeFileSync(p, Buffer.alloc(30_000_000, i));
        return p;
      });
      const pin = spkiPin(readFileSync(new URL('../fixtures/tls/server.pem', import.meta.url), 'utf8'));
      const command = [
        process.execPath,
        BIN,
        'put',
        '--atomic',
        '--pin',
        pin,
        ...files,
        `ftpes://${proxy.host}:${proxy.port}/int/`,
      ]
        .map((a) => `'${a}'`)
        .join(' ');
      tmux(
        'new-session',
        '-d',
        '-s',
        'int',
        '-x',
        '100',
        '-y',
        '20',
        '-e',
        `FTPS_USER=${server.user}`,
        '-e',
        `FTPS_PASSWORD=${server.password}`,
        '-e',
        `HOME=${tmp.dir}`,
        `${command}; echo EXIT=$?; sleep 60`,
      );
      let pane = '';
      for (let i = 0; i < 200 && !/EXIT=|big-\d\.bin +\[=+ *\]/.test(pane); i++) {
        await sleep(100);
        pane = tmux('capture-pane', '-p', '-t', 'int');
      }
      assert.match(pane, /big-\d\.bin +\[=+ *\]/, `bars before Ctrl-C:\n${pane}`);
      const before = pane;
      tmux('send-keys', '-t', 'int', 'C-c');
      for (let i = 0; i < 200 && !/EXIT=\d+/.test(pane); i++) {
        await sleep(100);
        pane = tmux('capture-pane', '-p', '-t', 'int');
      }
      assert.match(pane, /EXIT=130/, pane);
      assert.match(pane, /ftps: interrupted/);
      assert.ok(!/ETA|\[=/.test(pane), `bars erased:\n${pane}`);
      const remote = path.join(server.root, 'int');
      for (const f of ['big-1.bin', 'big-2.bin']) {
        assert.ok(!existsSync(path.join(remote, f)), `${f} not under its final name:\n${before}\n---\n${pane}`);
      }
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      await proxy.stop();
      await server.stop();
      tmp.cleanup();
    }
  },
);
